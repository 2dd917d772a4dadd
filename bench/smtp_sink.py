"""The local SMTP server of the messaging benchmark and its baseline: aiosmtpd
in its own process counting what it accepts, and raw ``smtplib`` sends of a
ready-made message over one connection."""

from __future__ import annotations

import multiprocessing as mp
import os
import smtplib
import socket
import time
from pathlib import Path
from typing import Any

SENDER = "shop@bench.example"


# --- the SMTP server ---------------------------------------------------------


def _sink_main(port: int, counter: Any, ready: Any, stop: Any) -> None:
    """Child process: aiosmtpd on ``port`` counting accepted recipients."""
    import logging

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            with counter.get_lock():
                counter.value += len(envelope.rcpt_tos)
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


class Sink:
    def __init__(self) -> None:
        ctx = mp.get_context("spawn")
        self.port = _free_port()
        self.counter = ctx.Value("q", 0)
        self._ready = ctx.Event()
        self._stop = ctx.Event()
        self.process = ctx.Process(
            target=_sink_main, args=(self.port, self.counter, self._ready, self._stop), daemon=True
        )

    def __enter__(self) -> Sink:
        self.process.start()
        if not self._ready.wait(30):
            raise RuntimeError("the SMTP server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()

    def cpu(self) -> float:
        """CPU seconds the server process has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    @property
    def count(self) -> int:
        return int(self.counter.value)

    def reset(self) -> None:
        with self.counter.get_lock():
            self.counter.value = 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- baseline ----------------------------------------------------------------


def sample_mime() -> bytes:
    """A message like the ones Patron sends (subject, text and HTML parts,
    List-Unsubscribe), built once."""
    from django.core.mail import EmailMultiAlternatives

    url = "https://loyalty.example/u/" + "x" * 60 + "/"
    mail = EmailMultiAlternatives(
        subject="会员12345，本周会员专享：全场满 300 减 50",
        body=f"会员12345，您好！\n\n本周会员专享：全场满 300 减 50。\n\n退订：{url}\n",
        from_email=SENDER,
        to=["m12345@bench.example"],
        headers={
            "List-Unsubscribe": f"<{url}>, <mailto:{SENDER}?subject=unsubscribe>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    mail.attach_alternative(
        "<p>会员12345，您好！</p><p>本周会员专享：<b>全场满 300 减 50</b>。</p>"
        f'<a href="{url}">退订</a>',
        "text/html",
    )
    return bytes(mail.message().as_bytes(linesep="\r\n"))


def baseline(sink: Sink, count: int) -> dict[str, float]:
    body = sample_mime()
    sink.reset()
    server_cpu = sink.cpu()
    own_cpu = time.process_time()
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", sink.port) as smtp:
        for i in range(count):
            smtp.sendmail(SENDER, [f"m{i}@bench.example"], body)
    took = time.perf_counter() - started
    own_cpu = time.process_time() - own_cpu
    server_cpu = sink.cpu() - server_cpu
    received = sink.count
    if received != count:
        raise RuntimeError(f"baseline: the SMTP server has {received} of {count} messages")
    return {
        "count": count,
        "seconds": took,
        "rate": count / took,
        "bytes": len(body),
        "client_cpu": own_cpu,
        "server_cpu": server_cpu,
    }
