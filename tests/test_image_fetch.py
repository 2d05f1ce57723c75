"""Reference images a brief names: fetched only from public addresses over http(s), pinned to
the address that was checked, size- and pixel-capped, decoded as images; local files only when a
door allows them; and used as the character's still instead of a generated one.

No network: names resolve through a fake resolver and answers come from httpx.MockTransport.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import struct
import zlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from conftest import director_in_process
from fakes.loopback import still
from fakes.recording import Server
from PIL import Image

from director.agent.references import make_references
from director.config import Settings
from director.errors import BriefError, ProviderError
from director.film import Brief, Character
from director.ledger import Ledger
from director.plan import Plan
from director.project import Project
from director.tools.fetch import (
    ImageLimits,
    blocked_reason,
    check_url,
    fetch_image_url,
    read_image_file,
    save_reference,
    system_resolver,
)

PUBLIC = "93.184.216.34"
PNG = still(96, 64, "png")


class Resolver:
    """Answers from a table (a list of answers per name is used one call at a time)."""

    def __init__(self, table: dict[str, list[str] | list[list[str]]]) -> None:
        self.table = table
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        answer = self.table.get(host)
        if answer is None:
            raise OSError("no such host")
        if answer and isinstance(answer[0], list):
            return answer.pop(0) if len(answer) > 1 else answer[0]  # type: ignore[return-value]
        return answer  # type: ignore[return-value]


def fetch(url: str, server: Server, resolver: Resolver | None = None, **kw: object) -> Image.Image:
    resolver = resolver or Resolver({"img.example": [PUBLIC]})
    return asyncio.run(fetch_image_url(url, resolver=resolver,
                                       transport=httpx.MockTransport(server), **kw))  # type: ignore[arg-type]


def image_server(body: bytes = PNG, **headers: str) -> Server:
    return Server(lambda r: httpx.Response(200, headers=headers, content=body))


# --- addresses and URL forms -----------------------------------------------------------------


@pytest.mark.parametrize(("address", "reason"), [
    ("127.0.0.1", "loopback"), ("127.9.9.9", "loopback"), ("::1", "loopback"),
    ("0.0.0.0", "unspecified"), ("::", "unspecified"),
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"),
    ("fc00::1", "private"), ("fd12:3456::1", "private"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"), ("fe80::1%eth0", "link-local"),
    ("100.64.0.1", "carrier-grade NAT"), ("100.127.255.254", "carrier-grade NAT"),
    ("224.0.0.1", "multicast"), ("239.255.255.250", "multicast"), ("ff02::1", "multicast"),
    ("240.0.0.1", "reserved|private"), ("255.255.255.255", "reserved|private"),
    ("198.18.0.1", "private|public"), ("192.0.2.10", "private|public"),
    ("fec0::1", "site-local"),
    ("::ffff:127.0.0.1", "loopback.*inside an IPv6"),
    ("::ffff:169.254.169.254", "link-local.*inside an IPv6"),
    ("::ffff:10.0.0.1", "private.*inside an IPv6"),
    ("::ffff:100.64.0.1", "carrier-grade NAT.*inside an IPv6"),
    ("::127.0.0.1", "loopback.*inside an IPv6"),
    ("2002:7f00:1::", "loopback.*inside an IPv6"),  # 6to4 of 127.0.0.1
    ("64:ff9b::a00:1", "private.*inside an IPv6"),  # NAT64 of 10.0.0.1
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
])
def test_non_public_addresses_are_blocked(address: str, reason: str) -> None:
    found = blocked_reason(address)
    assert found is not None
    assert re.search(reason, found), found


@pytest.mark.parametrize("address", [PUBLIC, "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111",
                                     "::ffff:8.8.8.8", "2002:808:808::"])
def test_public_addresses_pass(address: str) -> None:
    assert blocked_reason(address) is None


@pytest.mark.parametrize(("url", "match"), [
    ("file:///etc/passwd", "file: URL"),
    ("ftp://img.example/a.png", "ftp: URL"),
    ("gopher://img.example/", "gopher: URL"),
    ("data:image/png;base64,iVBORw0KGgo=", "data: URL"),
    ("javascript:alert(1)", "javascript: URL"),
    ("https://user:pw@img.example/a.png", "user name or password"),
    ("https://token@img.example/a.png", "user name or password"),
    ("https://img.example:99999/a.png", "impossible port"),
    ("http:///a.png", "no host"),
    ("http://[::1/a.png", "not a valid URL"),
])
def test_url_forms_that_are_refused(url: str, match: str) -> None:
    with pytest.raises(BriefError, match=match):
        check_url(url)
    server = image_server()
    with pytest.raises(BriefError, match=match):
        fetch(url, server)
    assert server.seen == []


def test_messages_never_carry_a_query_string_or_credentials() -> None:
    for url in ("https://user:s3cret@img.example/a.png?sig=TOKEN", "https://10.0.0.1/a?sig=TOKEN"):
        with pytest.raises(BriefError) as caught:
            fetch(url, image_server())
        assert "TOKEN" not in str(caught.value) and "s3cret" not in str(caught.value)


@pytest.mark.parametrize(("url", "table"), [
    ("http://intranet.example/a.png", {"intranet.example": ["10.0.0.5"]}),
    ("https://metadata.example/latest", {"metadata.example": ["169.254.169.254"]}),
    ("https://mixed.example/a.png", {"mixed.example": [PUBLIC, "192.168.0.9"]}),  # either
    ("https://v6.example/a.png", {"v6.example": ["::ffff:127.0.0.1"]}),
    ("https://cgnat.example/a.png", {"cgnat.example": ["100.100.1.1"]}),
    ("http://127.0.0.1:8080/a.png", {}),  # literal: no resolver needed to refuse it
    ("http://[::1]/a.png", {}),
    ("http://[::ffff:a9fe:a9fe]/latest", {}),  # 169.254.169.254, IPv4-mapped
])
def test_names_that_resolve_to_non_public_addresses_are_never_requested(
    url: str, table: dict[str, list[str]]
) -> None:
    server = image_server()
    with pytest.raises(BriefError, match="only public addresses are fetched"):
        fetch(url, server, Resolver(table))  # type: ignore[arg-type]
    assert server.seen == []


@pytest.mark.parametrize("url", ["http://localhost:8000/a.png", "http://2130706433/a.png",
                                 "http://0x7f.0.0.1/a.png", "http://127.1/a.png"])
def test_numeric_and_local_names_are_resolved_before_they_are_judged(url: str) -> None:
    """The system resolver turns these into 127.0.0.1 without any DNS query."""
    server = image_server()
    with pytest.raises(BriefError, match="loopback"):
        asyncio.run(fetch_image_url(url, resolver=system_resolver,
                                    transport=httpx.MockTransport(server)))
    assert server.seen == []


def test_an_unresolvable_host_is_a_clear_error() -> None:
    with pytest.raises(BriefError, match=r"nowhere\.example does not resolve"):
        fetch("https://nowhere.example/a.png", image_server())


# --- the connection is pinned to the checked address -----------------------------------------


def test_the_request_goes_to_the_checked_address_with_the_name_kept() -> None:
    server = image_server(PNG, **{"Content-Type": "image/png"})
    image = fetch("https://img.example/cast/ana.png?size=large", server)
    assert image.size == (96, 64)
    [request] = server.seen
    assert request.url.host == PUBLIC and request.url.path == "/cast/ana.png"
    assert request.url.query == b"size=large"
    assert request.headers["host"] == "img.example"
    assert request.extensions["sni_hostname"] == "img.example"  # TLS verifies the name


def test_dns_rebinding_cannot_move_the_connection() -> None:
    """The name answers public first, then loopback: the first hop connects to the public
    address it checked; a hop that resolves again sees loopback and is refused."""
    rebinding = Resolver({"img.example": [[PUBLIC], ["127.0.0.1"]]})
    image = fetch("https://img.example/a.png", image_server(), rebinding)
    assert image.size == (96, 64) and rebinding.calls == ["img.example"]

    rebinding = Resolver({"img.example": [[PUBLIC], ["127.0.0.1"]]})
    server = Server(lambda r: httpx.Response(302, headers={"Location": "/b.png"})
                    if r.url.path == "/a.png" else httpx.Response(200, content=PNG))
    with pytest.raises(BriefError, match="loopback"):
        fetch("https://img.example/a.png", server, rebinding)
    assert [r.url.host for r in server.seen] == [PUBLIC]
    assert rebinding.calls == ["img.example", "img.example"]


# --- redirects -------------------------------------------------------------------------------


def redirecting(location: str) -> Server:
    return Server(lambda r: httpx.Response(302, headers={"Location": location})
                  if r.headers["host"] == "img.example" else httpx.Response(200, content=PNG))


@pytest.mark.parametrize(("location", "match"), [
    ("http://internal.example/a.png", "private address"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://[::1]:8080/", "loopback"),
    ("file:///etc/passwd", "file: URL"),
    ("https://u:p@cdn.example/a.png", "user name or password"),
    ("http://[::1", "malformed URL|not a valid URL"),
])
def test_every_redirect_hop_is_checked(location: str, match: str) -> None:
    resolver = Resolver({"img.example": [PUBLIC], "internal.example": ["10.9.9.9"],
                         "cdn.example": ["1.1.1.1"]})
    server = redirecting(location)
    with pytest.raises(BriefError, match=match):
        fetch("https://img.example/a.png", server, resolver)
    assert len(server.seen) == 1


def test_a_public_redirect_is_followed_and_pinned() -> None:
    resolver = Resolver({"img.example": [PUBLIC], "cdn.example": ["1.1.1.1"]})
    server = redirecting("https://cdn.example/store/a.png")
    assert fetch("https://img.example/a.png", server, resolver).size == (96, 64)
    assert [(r.url.host, r.headers["host"]) for r in server.seen] == [
        (PUBLIC, "img.example"), ("1.1.1.1", "cdn.example")]


def test_redirects_are_bounded() -> None:
    server = Server(lambda r: httpx.Response(302, headers={"Location": "/again"}))
    with pytest.raises(BriefError, match="redirected more than 2 times"):
        fetch("https://img.example/a.png", server, max_redirects=2)
    assert len(server.seen) == 3


# --- what comes back -------------------------------------------------------------------------


class Counted(httpx.AsyncByteStream):
    def __init__(self) -> None:
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            self.pulled += 1
            yield b"\x89PNG" + b"\0" * 65532


def test_a_declared_oversize_image_is_refused_unread() -> None:
    body = Counted()
    server = Server(lambda r: httpx.Response(200, headers={"Content-Length": str(10 << 30)},
                                             stream=body))
    with pytest.raises(BriefError, match="at most 1,048,576 bytes"):
        fetch("https://img.example/a.png", server, limits=ImageLimits(max_bytes=1 << 20))
    assert body.pulled == 0


def test_an_undeclared_oversize_image_is_cut_off_while_streaming() -> None:
    body = Counted()
    server = Server(lambda r: httpx.Response(200, stream=body))
    with pytest.raises(BriefError, match="more than 1,"):
        fetch("https://img.example/a.png", server, limits=ImageLimits(max_bytes=1 << 20))
    assert body.pulled == 17


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims `width`x`height` (its pixels are never there)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0"))


def gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64)).save(buffer, format="GIF")
    return buffer.getvalue()


@pytest.mark.parametrize(("body", "match"), [
    (b"<html><body>404 not found</body></html>", "not a PNG, JPEG or WebP"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "not a PNG, JPEG or WebP"),
    (gif(), "not a PNG, JPEG or WebP"),
    (png_header(30_000, 30_000), "more than 40,000,000 pixels"),  # a decompression bomb
    (png_header(7_000, 7_000), "7000x7000 pixels"),
    (png_header(20_000, 10), "20000x10 pixels"),
    (still(8, 8, "png"), "only 8x8"),
    (PNG[: len(PNG) // 2], "does not decode"),
    (still(96, 64, "jpeg")[:300], "does not decode"),
])
def test_what_is_not_a_usable_image_is_refused(body: bytes, match: str) -> None:
    with pytest.raises(BriefError, match=match):
        fetch("https://img.example/a.png", image_server(body, **{"Content-Type": "image/png"}))


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_png_jpeg_and_webp_are_accepted(fmt: str) -> None:
    assert fetch("https://img.example/a", image_server(still(80, 48, fmt))).size == (80, 48)


@pytest.mark.parametrize(("answer", "error", "retryable"), [
    (httpx.Response(404), BriefError, None),
    (httpx.Response(403), BriefError, None),
    (httpx.Response(503), ProviderError, True),
    (httpx.Response(429), ProviderError, True),
    (httpx.ConnectError("refused"), ProviderError, True),
])
def test_http_errors(answer: httpx.Response | Exception, error: type, retryable: bool | None
                     ) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        if isinstance(answer, Exception):
            raise answer
        return answer

    with pytest.raises(error) as caught:
        fetch("https://img.example/a.png", Server(respond))
    if retryable is not None:
        assert caught.value.retryable is retryable


def test_a_server_that_never_finishes_hits_the_deadline() -> None:
    class Drip(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            while True:
                await asyncio.sleep(0.02)
                yield b"\0"

    server = Server(lambda r: httpx.Response(200, stream=Drip()))
    with pytest.raises(ProviderError, match="took longer than"):
        fetch("https://img.example/a.png", server, deadline_s=0.2)


# --- local files -----------------------------------------------------------------------------


def test_local_paths_need_a_door_that_allows_them(tmp_path: Path) -> None:
    (tmp_path / "ana.png").write_bytes(PNG)
    for source in ("ana.png", str(tmp_path / "ana.png"), "/etc/passwd", "../../etc/shadow"):
        with pytest.raises(BriefError, match="local files are read only"):
            read_image_file(source, None)


def test_local_paths_resolve_against_the_brief_folder(tmp_path: Path) -> None:
    briefs = tmp_path / "briefs"
    (briefs / "cast").mkdir(parents=True)
    (briefs / "cast" / "ana.png").write_bytes(PNG)
    assert read_image_file("cast/ana.png", briefs).size == (96, 64)
    assert read_image_file(str(briefs / "cast" / "ana.png"), tmp_path).size == (96, 64)
    with pytest.raises(BriefError, match="no such file"):
        read_image_file("ana.png", briefs)


@pytest.mark.parametrize(("make", "match"), [
    (lambda d: d, "not a regular file"),  # a folder
    (lambda d: Path("/dev/zero"), "not a regular file"),  # would never end
    (lambda d: _write(d / "notes.txt", b"not an image"), "not a PNG, JPEG or WebP"),
    (lambda d: _link(d / "state.png", _write(d / "state.sqlite", b"SQLite format 3\0")),
     "not a PNG, JPEG or WebP"),
    (lambda d: _write(d / "big.png", PNG + b"\0" * 4096), "at most 4,000 bytes"),
])
def test_local_files_that_are_refused(tmp_path: Path, make: Callable[[Path], Path],
                                      match: str) -> None:
    path = make(tmp_path)
    with pytest.raises(BriefError, match=match):
        read_image_file(str(path), tmp_path, ImageLimits(max_bytes=4000))


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _link(link: Path, target: Path) -> Path:
    link.symlink_to(target)
    return link


def test_a_saved_reference_is_an_upright_png_without_its_metadata(tmp_path: Path) -> None:
    photo = Image.new("RGB", (120, 60), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    exif[0x8825] = {2: (51.0, 30.0, 0.0)}  # a GPS latitude
    source = tmp_path / "photo.jpg"
    photo.save(source, format="JPEG", exif=exif)
    dest = tmp_path / "stills" / "ana.png"
    asyncio.run(save_reference("photo.jpg", dest, local_root=tmp_path))
    saved = Image.open(dest)
    assert saved.format == "PNG" and saved.size == (60, 120)
    assert not saved.getexif() and "exif" not in saved.info


# --- as the character's still ----------------------------------------------------------------


def plan_with(*characters: Character) -> Plan:
    brief = Brief(title="t", text="Two people at a market.", characters=list(characters))
    return Plan(title="t", brief=brief, characters=list(characters))


def test_a_supplied_image_replaces_the_generated_still(tmp_path: Path) -> None:
    project = Project(tmp_path / "p").ensure()
    ana = Character(name="Ana", hair="black bob",
                    reference_images=["https://img.example/cast/ana.png?sig=SECRET-SIG"])
    ben = Character(name="Ben", hair="grey beard")
    ledger = Ledger(project.ledger_path)
    server = image_server(PNG)
    plan = asyncio.run(make_references(
        plan_with(ana, ben), project, Settings(), ledger,
        resolver=Resolver({"img.example": [PUBLIC]}), transport=httpx.MockTransport(server)))
    assert plan.references == {"Ana": "stills/character_ana_reference.png",
                               "Ben": "stills/character_ben.png"}
    assert Image.open(project.root / plan.references["Ana"]).size == (96, 64)
    assert Image.open(project.root / plan.references["Ben"]).size == (640, 360)  # a drawn card
    assert not (project.stills_dir / "character_ana.png").exists()
    stills = [json.loads(line) for line in project.ledger_path.read_text().splitlines()]
    ana_entry = next(e for e in stills if e["shot"] == 0)
    assert ana_entry["data"]["source"] == "img.example/cast/ana.png" and ana_entry["cost_usd"] == 0
    assert "SECRET-SIG" not in project.ledger_path.read_text()
    # Made once per project: a second pass fetches nothing and records nothing new.
    asyncio.run(make_references(plan_with(ana, ben), project, Settings(), ledger,
                                resolver=Resolver({}), transport=httpx.MockTransport(server)))
    assert len(server.seen) == 1
    assert len(project.ledger_path.read_text().splitlines()) == len(stills)


def test_a_local_image_needs_the_brief_folder_and_names_the_character(tmp_path: Path) -> None:
    project = Project(tmp_path / "p").ensure()
    (tmp_path / "ana.png").write_bytes(PNG)
    ana = Character(name="Ana", reference_images=["ana.png"])
    with pytest.raises(BriefError, match=r"^Ana: reference image 'ana\.png' is a local path"):
        asyncio.run(make_references(plan_with(ana), project, Settings(),
                                    Ledger(project.ledger_path)))
    assert list(project.stills_dir.iterdir()) == []  # nothing generated before the refusal
    plan = asyncio.run(make_references(plan_with(ana), project, Settings(),
                                       Ledger(project.ledger_path), local_root=tmp_path))
    assert plan.references == {"Ana": "stills/character_ana_reference.png"}


def test_images_a_planner_added_are_ignored(tmp_path: Path) -> None:
    """A model cannot make the director read a file or fetch a URL: only the brief's own
    reference images count."""
    project = Project(tmp_path / "p").ensure()
    stated = Character(name="Ana")
    drafted = stated.model_copy(update={"reference_images": ["/etc/passwd",
                                                            "http://169.254.169.254/"]})
    plan = Plan(title="t", brief=Brief(title="t", text="x", characters=[stated]),
                characters=[drafted])
    server = image_server()
    plan = asyncio.run(make_references(plan, project, Settings(), Ledger(project.ledger_path),
                                       local_root=Path("/"), transport=httpx.MockTransport(server)))
    assert plan.references == {"Ana": "stills/character_ana.png"} and server.seen == []


def test_the_command_line_reports_a_refused_reference_in_one_line(tmp_path: Path) -> None:
    brief = tmp_path / "brief.yaml"
    brief.write_text(
        "title: Market\ntext: Ana walks through a night market under neon signs.\n"
        "target_duration_s: 4\ncharacters:\n  - name: Ana\n    hair: black bob\n"
        "    reference_images: file:///etc/passwd\n")
    result = director_in_process("run", str(brief), "--out", str(tmp_path / "p"), "--yes")
    assert result.returncode == 2, result
    assert "Ana: reference image URL" in result.stderr and "file: URL" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not list((tmp_path / "p" / "takes").glob("*.mp4"))


def test_the_command_line_reads_a_local_reference_beside_the_brief(tmp_path: Path) -> None:
    from PIL import Image

    (tmp_path / "cast").mkdir()
    Image.new("RGB", (64, 96), (200, 30, 40)).save(tmp_path / "cast" / "ana.png")
    brief = tmp_path / "brief.yaml"
    brief.write_text(
        "title: Market\ntext: Ana walks through a night market under neon signs.\n"
        "target_duration_s: 4\ncharacters:\n  - name: Ana\n    hair: black bob\n"
        "    reference_images: cast/ana.png\n")
    # Run from another folder: the relative path is the brief's, not the working folder's.
    result = director_in_process("plan", str(brief), "--json")
    assert result.returncode == 0, result
    out = tmp_path / "p"
    result = director_in_process("run", str(brief), "--out", str(out))
    assert result.returncode == 0, result
    still = out / "stills" / "character_ana_reference.png"
    with Image.open(still) as got:
        assert got.size == (64, 96) and got.convert("RGB").getpixel((10, 10)) == (200, 30, 40)
