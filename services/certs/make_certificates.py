"""Make the dev stack's TLS material once, and keep it: a local CA and a site certificate signed by it.

File names follow upstream TeraServer's `ssl_path` layout (site_cert.pem, site_key.pem, ca_cert.pem,
ca_key.pem) so the volume can be mounted where upstream expects it. Unlike upstream, the site certificate is
signed by the CA, so a client can trust the whole stack by trusting ca_cert.pem alone.

Re-runs are cheap and idempotent: the CA is never replaced; the site certificate is replaced only when it is
missing, no longer signed by the CA, about to expire, or lacks a name it must cover (DEVSTACK_HOSTNAME changed).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import os
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 3650
SITE_DAYS = 397  # within the 398-day limit browsers apply to server certificates
RENEW_BEFORE = dt.timedelta(days=30)
FIXED_DNS_NAMES = ("localhost", "proxy")  # `proxy`: containers reach NGINX by its compose service name
FIXED_IPS = ("127.0.0.1", "::1")


def log(message: str) -> None:
    print(f"certs: {message}", flush=True)


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def write_private(path: Path, data: bytes) -> None:
    """Write a file readable by its owner only, atomically, so a crash never leaves half a key."""
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_bytes(data)
    temporary.chmod(0o600)
    temporary.replace(path)


def key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )


def make_ca(directory: Path) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = new_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "OpenTera DevStack Local CA")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now() - dt.timedelta(minutes=5))
        .not_valid_after(now() + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    write_private(directory / "ca_key.pem", key_pem(key))
    (directory / "ca_cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return certificate, key


def load_ca(directory: Path) -> tuple[x509.Certificate, rsa.RSAPrivateKey] | None:
    cert_path, key_path = directory / "ca_cert.pem", directory / "ca_key.pem"
    if not (cert_path.is_file() and key_path.is_file()):
        return None
    certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return certificate, key


def wanted_names(hostname: str) -> set[x509.GeneralName]:
    names: set[x509.GeneralName] = {x509.DNSName(name) for name in (*FIXED_DNS_NAMES, hostname)}
    names |= {x509.IPAddress(ipaddress.ip_address(address)) for address in FIXED_IPS}
    with contextlib.suppress(ValueError):  # a host name that is an IP address is listed as one too
        names.add(x509.IPAddress(ipaddress.ip_address(hostname)))
    return names


def site_is_current(directory: Path, ca: x509.Certificate, names: set[x509.GeneralName]) -> str | None:
    """None when the site certificate can be kept, else why it must be remade."""
    cert_path, key_path = directory / "site_cert.pem", directory / "site_key.pem"
    if not (cert_path.is_file() and key_path.is_file()):
        return "missing"
    certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
    if certificate.issuer != ca.subject:
        return "not signed by the current CA"
    if certificate.not_valid_after_utc - now() < RENEW_BEFORE:
        return "about to expire"
    present = set(certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)
    if not names <= present:
        return "host names changed"
    return None


def make_site(directory: Path, ca: x509.Certificate, ca_key: rsa.RSAPrivateKey, hostname: str) -> None:
    key = new_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now() - dt.timedelta(minutes=5))
        .not_valid_after(now() + dt.timedelta(days=SITE_DAYS))
        .add_extension(x509.SubjectAlternativeName(sorted(wanted_names(hostname), key=str)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    write_private(directory / "site_key.pem", key_pem(key))
    (directory / "site_cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


def main() -> int:
    directory = Path(os.environ.get("CERTIFICATES_DIR", "/certificates"))
    hostname = os.environ.get("DEVSTACK_HOSTNAME", "localhost").strip() or "localhost"
    directory.mkdir(parents=True, exist_ok=True)
    loaded = load_ca(directory)
    if loaded is None:
        log(f"creating the local CA in {directory}")
        loaded = make_ca(directory)
    else:
        log("keeping the existing local CA")
    ca, ca_key = loaded
    reason = site_is_current(directory, ca, wanted_names(hostname))
    if reason is None:
        log(f"keeping the existing site certificate for {hostname}")
    else:
        log(f"making the site certificate for {hostname} ({reason})")
        make_site(directory, ca, ca_key, hostname)
    return 0


if __name__ == "__main__":
    sys.exit(main())
