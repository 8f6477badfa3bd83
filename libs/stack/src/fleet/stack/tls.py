"""TLS material for the servers Fleet starts: where a server's certificate, key and the
CA that signed it are, and a small CA to make them (tests, compose's init step).

``python -m fleet.stack.tls <dir> <name>...`` writes ``ca.crt`` / ``ca.key`` (kept, so a
second run adds server certificates signed by the same CA) and ``<name>.crt`` /
``<name>.key`` for each server name, whose certificate names it, ``localhost`` and
``127.0.0.1`` (subject alternative names: clients verify the host, verify-full); a name
written ``nats:nats-1,nats-2`` is valid for those hosts too.
"""

from __future__ import annotations

import datetime
import ipaddress
import secrets
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = datetime.timedelta(days=825)


@dataclass(frozen=True)
class TlsFiles:
    """A server's certificate and key, and the CA clients verify it with (PEM files)."""

    cert_file: Path
    key_file: Path
    ca_file: Path


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def _ca(directory: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert_path, key_path = directory / "ca.crt", directory / "ca.key"
    if cert_path.exists() and key_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return x509.load_pem_x509_certificate(cert_path.read_bytes()), key
    key = ec.generate_private_key(ec.SECP256R1())
    # a name of its own: two Fleet CAs never pass for one another
    label = f"Fleet CA {secrets.token_hex(4)}"
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, label)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    _write_key(key_path, key)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def issue(directory: Path, name: str, hosts: Sequence[str] = ()) -> TlsFiles:
    """A certificate for server ``name`` (valid for ``name``, ``hosts``, ``localhost`` and
    ``127.0.0.1``), signed by the CA in ``directory`` (made on first use)."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_cert, ca_key = _ca(directory)
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in dict.fromkeys((name, *hosts, "localhost", "127.0.0.1")):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    files = TlsFiles(directory / f"{name}.crt", directory / f"{name}.key", directory / "ca.crt")
    _write_key(files.key_file, key)
    files.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return files


def main(argv: Sequence[str]) -> int:
    """``<dir> <name>[:<host>,...]...``: a CA in ``dir`` (kept if there) and a certificate
    per name, valid for the name and the hosts after it (``nats:nats-1,nats-2``)."""
    if len(argv) < 2:
        print("usage: python -m fleet.stack.tls <dir> <name>[:<host>,...]...", file=sys.stderr)
        return 2
    directory = Path(argv[0])
    for spec in argv[1:]:
        name, _, hosts = spec.partition(":")
        files = issue(directory, name, [host for host in hosts.split(",") if host])
        print(f"{name}: {files.cert_file} {files.key_file} (CA {files.ca_file})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
