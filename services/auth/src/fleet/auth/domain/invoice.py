"""A trader's period close and its invoice (``ev.billing.<user>_<period>``): closed once by
the period closer, then marked paid, waived or open again by an admin."""

from __future__ import annotations

from fleet.auth.errors import NotFound
from fleet.events import AggregateId, DomainEvent
from fleet.events.aggregate import Aggregate
from fleet.events.billing import BILLING_AGGREGATE, InvoiceStatus, InvoiceStatusSet, PeriodClosed


class PeriodInvoice(Aggregate):
    aggregate_type = BILLING_AGGREGATE

    def __init__(self, aggregate_id: AggregateId) -> None:
        super().__init__(aggregate_id)
        self.close: PeriodClosed | None = None
        self.status: InvoiceStatus = "open"

    def set_status(self, status: InvoiceStatus, by: str, note: str) -> bool:
        """Mark the invoice; False when it already has ``status``."""
        if self.close is None:
            raise NotFound("no invoice for this trader and period (not closed yet)", "period")
        if status == self.status:
            return False
        self.record(InvoiceStatusSet(status=status, set_by=by, note=note))
        return True

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, PeriodClosed):
            self.close = event
        elif isinstance(event, InvoiceStatusSet):
            self.status = event.status
