"""Reference images a person names in a brief (a URL or a local file), read safely.

A URL typed by a person and fetched by the director's server is a way into that server's
network when the director runs as a chat page or a Slack app, so a URL is fetched only if:

- its scheme is http or https, it carries no user:password@, and its port is a real port;
- its host resolves (through an injectable resolver) only to public addresses: never loopback,
  private, link-local, carrier-grade NAT (100.64.0.0/10), multicast, reserved, unspecified or
  site-local, nor any of those wrapped in an IPv6 address (IPv4-mapped, 6to4, NAT64, Teredo);
- the connection goes to the very address that was checked: the request is sent to the IP,
  with the name kept in the Host header and in TLS SNI (so the certificate is still verified
  against the name), so a DNS answer that changes between check and connect (rebinding) cannot
  move it elsewhere;
- redirects are followed by hand, at most MAX_REDIRECTS, each hop resolved and checked again;
- the body is capped while it streams, and must decode whole as a PNG, JPEG or WebP image within
  a pixel cap (Pillow), so a decompression bomb or a page is refused before it is used.

A local path is read only when the caller names the folder it resolves against (the command
line passes the brief's folder; the chat and Slack doors pass none, so a brief given there
cannot read files on the server). Absolute paths are allowed then: they are the person's own
files on their own machine. Messages show a URL's host and path only: a signed URL's query
string may hold a token.
"""

from __future__ import annotations

import asyncio
import io
import ipaddress
import re
import socket
import stat
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from PIL import Image, ImageOps, UnidentifiedImageError

from director.errors import BriefError, ProviderError
from director.project import atomic_write_bytes
from director.tools.providers.download import join_location, malformed_redirect, read_capped
from director.tools.providers.retry import RETRY_STATUSES, where

Resolver = Callable[[str, int], Awaitable[list[str]]]
"""Host and port to the addresses it resolves to (textual IPs)."""

IMAGE_FORMATS = ("PNG", "JPEG", "WEBP")
"""Formats a reference image may come in; Pillow tries no other decoder."""
MAX_REDIRECTS = 3
"""Redirect hops a reference image URL may take (an image host needs one at most)."""
FETCH_TIMEOUT = httpx.Timeout(20.0, connect=10.0)
FETCH_DEADLINE_S = 60.0
"""Wall time for one image, every hop included: a server dripping bytes gets no longer."""
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")


@dataclass(frozen=True)
class ImageLimits:
    """What a reference image may weigh."""

    max_bytes: int = 20 * 1024 * 1024
    """File size cap, enforced while the body streams (20 MB: a large phone photo fits)."""
    max_pixels: int = 40_000_000
    """Width × height cap, checked from the header before any pixel is decoded."""
    max_side: int = 12_000
    """Longest side cap, for long thin images that pass the pixel cap."""
    min_side: int = 16
    """Shortest side floor: a 1-pixel image is no reference."""


def is_url(source: str) -> bool:
    """Whether `source` is written as a URL (has a scheme), rather than a file path."""
    return bool(_SCHEME.match(source.strip()))


async def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives for `host` (what a connection would use)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def blocked_reason(address: str) -> str | None:
    """Why `address` must not be fetched from, or None when it is a public address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.teredo:
            return "a Teredo tunnel address"
        inner = _embedded_ipv4(ip)
        if inner is not None:
            reason = blocked_reason(str(inner))
            if reason:
                return f"{reason} (inside an IPv6 address)"
            return None
        if ip.is_site_local:
            return "a site-local address"
    checks = (
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT, "a carrier-grade NAT address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_private, "a private address"),
        (ip.is_reserved, "a reserved address"),
        (not ip.is_global, "not a public address"),
    )
    return next((reason for blocked, reason in checks if blocked), None)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, compatible, 6to4, NAT64), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if int(ip) >> 32 == 0 and int(ip) > 1:  # ::a.b.c.d, the deprecated IPv4-compatible form
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if any(ip in net for net in _NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def check_url(url: str | httpx.URL) -> httpx.URL:
    """The parsed URL if its form may be fetched (scheme, userinfo, port); BriefError if not.
    Where it points is checked by `pinned_address`."""
    try:
        parsed = httpx.URL(str(url).strip())
    except httpx.InvalidURL:
        raise BriefError(f"reference image URL {_shown(url)} is not a valid URL") from None
    if parsed.scheme not in ("http", "https"):
        raise BriefError(
            f"reference image URL {_shown(url)} is a {parsed.scheme}: URL; only http and https "
            "URLs are fetched"
        )
    if not parsed.host:
        raise BriefError(f"reference image URL {_shown(url)} has no host")
    if parsed.userinfo:
        raise BriefError(
            f"reference image URL {where(parsed)} carries a user name or password; "
            "give a URL without one"
        )
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise BriefError(f"reference image URL {where(parsed)} has an impossible port")
    return parsed


async def pinned_address(url: httpx.URL, resolver: Resolver) -> str:
    """The address to connect to for `url`: every address the host resolves to must be public
    (one private answer among public ones is refused: the connection could get either)."""
    host = url.host
    try:
        ipaddress.ip_address(host)
        addresses = [host]
    except ValueError:
        try:
            addresses = await resolver(host, url.port or (443 if url.scheme == "https" else 80))
        except (OSError, UnicodeError):
            raise BriefError(f"reference image host {host} does not resolve") from None
    if not addresses:
        raise BriefError(f"reference image host {host} does not resolve")
    for address in addresses:
        reason = blocked_reason(address)
        if reason:
            raise BriefError(
                f"refusing to fetch reference image {where(url)}: {host} is {reason}; "
                "only public addresses are fetched"
            )
    return addresses[0]


def _pinned_request(client: httpx.AsyncClient, url: httpx.URL, address: str) -> httpx.Request:
    """A GET to `address` that still names `url`'s host (Host header, TLS SNI)."""
    extensions = {"sni_hostname": url.host} if url.scheme == "https" else {}
    return client.build_request(
        "GET",
        url.copy_with(host=address),
        headers={"Host": url.netloc.decode("ascii"), "Accept": "image/png, image/jpeg, image/webp"},
        extensions=extensions,
    )


def make_fetch_client(transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """A client that never follows redirects, reads no proxy or netrc from the environment
    (a proxy would resolve the name itself, past the check), and sends no cookies across."""
    return httpx.AsyncClient(
        transport=transport or httpx.AsyncHTTPTransport(retries=0),
        timeout=FETCH_TIMEOUT,
        follow_redirects=False,
        trust_env=False,
    )


async def fetch_image_url(
    url: str,
    *,
    resolver: Resolver = system_resolver,
    transport: httpx.AsyncBaseTransport | None = None,
    limits: ImageLimits = ImageLimits(),
    max_redirects: int = MAX_REDIRECTS,
    deadline_s: float = FETCH_DEADLINE_S,
) -> Image.Image:
    """The decoded image at `url`, fetched and checked as the module docstring says.

    Refusals and unusable answers (a private address, a 4xx, a page, an oversize body, not an
    image) raise BriefError: the person has to change the URL. Network faults, 429 and 5xx
    raise ProviderError(retryable=True): the same URL may work later.
    """
    target = check_url(url)
    try:
        async with make_fetch_client(transport) as client, asyncio.timeout(deadline_s):
            for _hop in range(max_redirects + 1):
                address = await pinned_address(target, resolver)
                request = _pinned_request(client, target, address)
                try:
                    response = await client.send(request, stream=True)
                except (httpx.InvalidURL, httpx.RemoteProtocolError) as exc:
                    # An InvalidURL is no httpx.HTTPError: re-raised, it would escape as a raw
                    # traceback, so only a real network fault goes on to the handler below.
                    if not malformed_redirect(exc):
                        raise
                    raise BriefError(
                        f"reference image {where(target)} redirected to a malformed URL"
                    ) from None
                try:
                    if response.is_redirect:
                        target = check_url(join_location(target, response.headers["location"]))
                        continue
                    data = await _read_body(response, target, limits.max_bytes)
                finally:
                    await response.aclose()
                return check_image(data, where(target), limits)
    except TimeoutError:
        raise ProviderError(
            f"reference image {where(target)} took longer than {deadline_s:g} s to fetch",
            retryable=True,
        ) from None
    except httpx.HTTPError as exc:
        raise ProviderError(
            f"could not fetch reference image {where(target)}: {type(exc).__name__}",
            retryable=True,
        ) from None
    raise BriefError(f"reference image {where(url)} redirected more than {max_redirects} times")


async def _read_body(response: httpx.Response, target: httpx.URL, max_bytes: int) -> bytes:
    """The body of a 200 answer within `max_bytes`; a 429/5xx may pass with time (retryable),
    any other status or an oversize body is the person's to fix (BriefError)."""
    if response.status_code != 200:
        message = f"reference image {where(target)} answered HTTP {response.status_code}"
        if response.status_code in RETRY_STATUSES:
            raise ProviderError(message, retryable=True)
        raise BriefError(message)

    def too_big(size: int, streaming: bool) -> BriefError:
        return BriefError(_too_big(where(target), size, max_bytes, at_least=streaming))

    return await read_capped(response, max_bytes, too_big)


def _too_big(shown: str, size: int, cap: int, *, at_least: bool = False) -> str:
    more = "more than " if at_least else ""
    return (f"reference image {shown} is {more}{size:,} bytes; "
            f"a reference image may be at most {cap:,} bytes")


def check_image(data: bytes, shown: str, limits: ImageLimits = ImageLimits()) -> Image.Image:
    """The decoded image if `data` is a whole PNG, JPEG or WebP within `limits`; BriefError
    naming `shown` otherwise. The size is read from the header before any pixel is decoded."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)
            width, height = image.size
            if width * height > limits.max_pixels or max(width, height) > limits.max_side:
                raise BriefError(
                    f"reference image {shown} is {width}x{height} pixels; at most "
                    f"{limits.max_pixels:,} pixels and {limits.max_side} on a side"
                )
            if min(width, height) < limits.min_side:
                raise BriefError(f"reference image {shown} is only {width}x{height} pixels")
            image.load()  # every pixel: a cut-off file fails here, not later
    except UnidentifiedImageError:
        raise BriefError(f"reference image {shown} is not a PNG, JPEG or WebP image") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BriefError(
            f"reference image {shown} has more than {limits.max_pixels:,} pixels"
        ) from None
    except (OSError, SyntaxError, ValueError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise BriefError(f"reference image {shown} does not decode: {reason}") from None
    return image


def read_image_file(
    source: str, root: Path | None, limits: ImageLimits = ImageLimits()
) -> Image.Image:
    """The decoded local reference image: `source` resolved against `root` (absolute paths as
    given), a regular file within the size cap, checked like a fetched one. Refused when
    `root` is None (a door that must not read the server's files)."""
    if root is None:
        raise BriefError(
            f"reference image {source!r} is a local path; local files are read only for a "
            "brief run from the command line (give an https URL instead)"
        )
    path = Path(source).expanduser()
    path = path if path.is_absolute() else root / path
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise BriefError(f"reference image {source!r} is not a regular file")
        if info.st_size > limits.max_bytes:
            raise BriefError(_too_big(repr(source), info.st_size, limits.max_bytes))
        with path.open("rb") as fh:
            data = fh.read(limits.max_bytes + 1)  # the file may have grown since stat
    except FileNotFoundError:
        raise BriefError(f"reference image {source!r}: no such file (looked at {path})") from None
    except OSError as exc:
        raise BriefError(f"reference image {source!r}: cannot read it ({exc.strerror})") from None
    if len(data) > limits.max_bytes:
        raise BriefError(_too_big(repr(source), len(data), limits.max_bytes, at_least=True))
    return check_image(data, repr(source), limits)


async def save_reference(
    source: str,
    dest: Path,
    *,
    local_root: Path | None,
    resolver: Resolver = system_resolver,
    transport: httpx.AsyncBaseTransport | None = None,
    limits: ImageLimits = ImageLimits(),
) -> Path:
    """Fetch or read the reference image `source`, and write it to `dest` as a PNG (upright by
    its EXIF orientation, with its metadata, such as a photo's GPS position, left behind)."""
    source = source.strip()
    if is_url(source):
        image = await fetch_image_url(source, resolver=resolver, transport=transport,
                                      limits=limits)
    else:
        image = await asyncio.to_thread(read_image_file, source, local_root, limits)
    await asyncio.to_thread(_write_png, image, dest)
    return dest


def _write_png(image: Image.Image, dest: Path) -> None:
    image = ImageOps.exif_transpose(image)
    alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    out = io.BytesIO()
    image.convert("RGBA" if alpha else "RGB").save(out, format="PNG")
    atomic_write_bytes(dest, out.getvalue())


def _shown(url: object) -> str:
    """A URL for a message: host and path when it parses, else a clipped repr."""
    try:
        return where(str(url))
    except (httpx.InvalidURL, TypeError):
        return repr(str(url)[:60])
