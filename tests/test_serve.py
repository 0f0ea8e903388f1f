"""`portal serve`: a real gunicorn with two workers, the settings it refuses, trusted
hosts and the proxy headers it believes."""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask, request

from portal import config, db
from portal.serve import application
from tests.conftest import make_app

SECRET = "9f1c2b7e4d8a0b3c6e5f1a2d7c9b8e4f0a1b2c3d4e5f6a7b"
PORTAL = str(Path(sys.executable).parent / "portal")
START_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def environment(tmp_path: Path, **settings: str) -> dict[str, str]:
    """The shell's variables without any PORTAL_* one, plus the given settings."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
    env.update(
        {
            "PORTAL_PROPOSALS_DIR": str(tmp_path / "proposals"),
            "PORTAL_CONTENT_DIR": str(tmp_path / "content"),
            "PORTAL_BUILD_DIR": str(tmp_path / "build"),
            "PORTAL_UPLOAD_DIR": str(tmp_path / "uploads"),
        }
    )
    env.update({f"PORTAL_{key}": value for key, value in settings.items()})
    return env


def get(port: int, path: str, host: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={"Host": host})
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def children(pid: int) -> list[int]:
    """The processes `pid` started (Linux: /proc/PID/task/PID/children)."""
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(child) for child in text.split()]


@pytest.fixture
def served(app: Flask, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int, Path]]:
    """`portal serve --workers 2` in production on the test's database, stopped after."""
    db.database(app).engine.dispose()
    port = free_port()
    env = environment(
        tmp_path,
        ENV="production",
        SECRET_KEY=SECRET,
        BASE_URL="https://portal.example.org",
        DATABASE_URL=app.config["DATABASE_URL"],
    )
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [PORTAL, "serve", "--workers", "2", "--bind", f"127.0.0.1:{port}"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"portal serve ended with {process.returncode}:\n{log.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"portal serve did not listen within {START_SECONDS} s:\n{log.read_text()}")
                time.sleep(0.2)
        yield process, port, log
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_serve_runs_gunicorn_with_two_workers(served: tuple[subprocess.Popen[bytes], int, Path]) -> None:
    process, port, log = served

    status, page = get(port, "/auth/login", "portal.example.org")
    assert status == 200
    assert 'name="email"' in page and 'name="password"' in page
    # The command replaced itself with the gunicorn master, which runs two workers.
    assert b"gunicorn" in Path(f"/proc/{process.pid}/cmdline").read_bytes()
    deadline = time.monotonic() + START_SECONDS
    while len(children(process.pid)) != 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(children(process.pid)) == 2
    # Production answers only to the host of PORTAL_BASE_URL.
    assert get(port, "/auth/login", "evil.example")[0] == 400

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert "Shutting down: Master" in log.read_text()


def refused(tmp_path: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    port = free_port()
    try:
        return subprocess.run(
            [PORTAL, "serve", "--workers", "2", "--bind", f"127.0.0.1:{port}"],
            env=environment(tmp_path, **settings),
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
    except subprocess.TimeoutExpired:  # pragma: no cover - it started instead of refusing
        pytest.fail("portal serve started instead of refusing")


GOOD = {"ENV": "production", "SECRET_KEY": SECRET, "BASE_URL": "https://portal.example.org"}


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"ENV": "production", "BASE_URL": "https://portal.example.org"},
            "錯誤：正式環境必須設定 PORTAL_SECRET_KEY（至少 32 個字元的隨機字串）\n",
        ),
        (
            {"ENV": "production", "SECRET_KEY": "short", "BASE_URL": "https://portal.example.org"},
            "錯誤：PORTAL_SECRET_KEY 太短：正式環境至少需要 32 個字元的隨機字串\n",
        ),
        (
            {**GOOD, "SECRET_KEY": "changeme" * 5},
            "錯誤：無法啟動：\n  - PORTAL_SECRET_KEY 不是隨機字串：至少 32 個字元、10 種以上不同字元"
            "（例如 python3 -c 'import secrets; print(secrets.token_hex(32))' 的輸出）\n",
        ),
        (
            {"ENV": "production", "SECRET_KEY": SECRET},
            "錯誤：無法啟動：\n  - PORTAL_BASE_URL 必須是使用者開啟的 https 網址"
            "（例如 https://portal.example.gov.tw），目前是「http://127.0.0.1:5000」\n",
        ),
        (
            {**GOOD, "BASE_URL": "http://portal.example.org"},
            "錯誤：無法啟動：\n  - PORTAL_BASE_URL 必須是使用者開啟的 https 網址"
            "（例如 https://portal.example.gov.tw），目前是「http://portal.example.org」\n",
        ),
    ],
)
def test_serve_refuses_incomplete_production_settings(
    app: Flask, tmp_path: Path, settings: dict[str, str], message: str
) -> None:
    result = refused(tmp_path, DATABASE_URL=app.config["DATABASE_URL"], **settings)

    assert (result.returncode, result.stdout, result.stderr) == (1, "", message)


def test_serve_refuses_a_database_that_was_never_initialised(tmp_path: Path) -> None:
    from tests.conftest import HEAD

    result = refused(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'empty.db'}", **GOOD)

    assert (result.returncode, result.stderr) == (
        1,
        f"錯誤：無法啟動：\n  - 資料庫尚未建立（程式需要版本 {HEAD}）：請先執行 portal init\n",
    )


def test_trusted_hosts_setting_is_a_list_of_lower_case_names() -> None:
    assert config.trusted_hosts("Portal.Example.org, .gov.example  127.0.0.1") == [
        "portal.example.org",
        ".gov.example",
        "127.0.0.1",
    ]
    assert config.trusted_hosts(" , ") is None
    assert config.trusted_hosts(None) is None


def test_production_answers_only_to_trusted_hosts(tmp_path: Path, app: Flask) -> None:
    served_app = application(
        {
            **_paths(app),
            "ENV": "production",
            "SECRET_KEY": SECRET,
            "BASE_URL": "https://portal.example.org",
            "TRUSTED_HOSTS": "portal.example.org, .internal.example",
        }
    )
    client = served_app.test_client()

    assert served_app.config["TRUSTED_HOSTS"] == ["portal.example.org", ".internal.example"]
    assert client.get("/auth/login", headers={"Host": "portal.example.org"}).status_code == 200
    assert client.get("/auth/login", headers={"Host": "a.internal.example:8443"}).status_code == 200
    refused_response = client.get("/auth/login", headers={"Host": "evil.example"})
    assert refused_response.status_code == 400
    assert "email" not in refused_response.get_data(as_text=True)
    db.database(served_app).engine.dispose()


def _paths(app: Flask) -> dict[str, str]:
    keys = ("DATABASE_URL", "PROPOSALS_DIR", "CONTENT_DIR", "BUILD_DIR", "UPLOAD_DIR")
    return {key: app.config[key] for key in keys}


def _probe(target: Flask) -> Flask:
    @target.get("/_probe")
    def probe() -> dict[str, str]:
        return {"remote": str(request.remote_addr), "scheme": request.scheme, "host": request.host}

    return target


@pytest.mark.parametrize(
    ("hops", "seen"),
    [
        (0, {"remote": "127.0.0.1", "scheme": "http", "host": "localhost"}),
        (1, {"remote": "203.0.113.9", "scheme": "https", "host": "portal.example.org"}),
    ],
)
def test_proxy_headers_are_believed_only_with_proxy_hops(app: Flask, hops: int, seen: dict[str, str]) -> None:
    served_app = _probe(application({**_paths(app), "ENV": "testing", "SECRET_KEY": SECRET, "PROXY_HOPS": hops}))
    headers = {
        "X-Forwarded-For": "203.0.113.9",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "portal.example.org",
    }

    assert served_app.test_client().get("/_probe", headers=headers).get_json() == seen
    db.database(served_app).engine.dispose()


def test_negative_proxy_hops_are_refused(tmp_path: Path) -> None:
    with pytest.raises(config.ConfigError) as raised:
        make_app(tmp_path, PROXY_HOPS=-1)
    assert str(raised.value) == "PORTAL_PROXY_HOPS 不可為負數，目前是「-1」"


NGINX_EXAMPLE = Path(__file__).parent.parent / "tools/deploy/nginx-portal.conf"


@pytest.mark.skipif(
    not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()) or not shutil.which("openssl"),
    reason="nginx or openssl is not installed: the nginx example is not checked",
)
def test_nginx_example_passes_nginx_t(tmp_path: Path) -> None:
    """tools/deploy/nginx-portal.conf, with a throwaway certificate in place of the real one."""
    certificate = ["-subj", "/CN=portal.example.gov.tw", "-keyout", str(tmp_path / "key.pem")]
    certificate += ["-out", str(tmp_path / "cert.pem")]
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", *certificate],
        check=True,
        capture_output=True,
    )
    site = NGINX_EXAMPLE.read_text(encoding="utf-8")
    live = "/etc/letsencrypt/live/portal.example.gov.tw/"
    assert site.count(live) == 2
    site = site.replace(f"{live}fullchain.pem", str(tmp_path / "cert.pem"))
    site = site.replace(f"{live}privkey.pem", str(tmp_path / "key.pem"))
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'error.log'};\nevents {{}}\n"
        f"http {{\n    access_log off;\n    include {tmp_path / 'site.conf'};\n}}\n",
        encoding="utf-8",
    )
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"

    result = subprocess.run([nginx, "-t", "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
