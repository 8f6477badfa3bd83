"""Mails carry the product's name (white-label), not a hard-coded "Fleet"."""

import pytest

from fleet.notify.adapters.smtp import compose
from fleet.notify.settings import NotifySettings

pytestmark = pytest.mark.unit


def test_the_mail_is_sent_in_the_products_name() -> None:
    mail = compose(
        "Acme Trading", "bot@acme.test", "tr@acme.test", "Your bot was paused", "Hi", "d1"
    )
    assert mail["From"] == "Acme Trading <bot@acme.test>"
    assert mail["Subject"] == "Acme Trading: Your bot was paused"
    assert mail.get_content().endswith("-- \nAcme Trading\n")
    assert "Fleet" not in mail.as_string()


def test_the_product_name_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLEET_PRODUCT_NAME", "Acme Trading")
    assert NotifySettings().product_name == "Acme Trading"
