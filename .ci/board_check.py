"""CI on the running demo: a hall board opened from its link shows a QR rating within a second.
Usage: board_check.py PORT (reads the board and QR links from .run/demo-credentials.txt)."""
import asyncio
import json
import re
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import websockets

port = int(sys.argv[1])
credentials = Path(".run/demo-credentials.txt").read_text(encoding="utf-8")
board_path = re.search(r"http://chengguan\.[^/\s]+(/board/[^/\s]+/\?t=\S+)", credentials).group(1)
qr_token = re.search(r"/r/([^/\s]+)/", credentials).group(1)
host = f"chengguan.localhost:{port}"


def submit_rating() -> None:
    body = json.dumps({"query": "mutation($i: SubmitEvaluationInput!) { submitEvaluation(input: $i) { errors { code } } }",
                       "variables": {"i": {"grade": 5, "channel": "QR_CODE", "windowToken": qr_token,
                                           "idempotencyKey": str(uuid.uuid4()), "comment": "CI: 评价屏检查"}}}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql/", data=body, method="POST",
                                     headers={"Host": host, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.load(response)["data"]["submitEvaluation"]["errors"] == []


async def main() -> None:
    ws_path = board_path.replace("/board/", "/ws/board/", 1)
    async with websockets.connect(f"ws://{host}{ws_path}", host="127.0.0.1", origin=f"http://{host}") as ws:
        snapshot = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert snapshot["type"] == "snapshot", snapshot
        await asyncio.get_running_loop().run_in_executor(None, submit_rating)
        committed = time.monotonic()
        while True:
            event = json.loads(await asyncio.wait_for(ws.recv(), 5))
            if event["type"] == "rating" and event["rating"]["comment"] == "CI: 评价屏检查":
                break
        elapsed = time.monotonic() - committed
        assert event["seq"] == snapshot["seq"] + 1, (snapshot["seq"], event)
        assert elapsed < 1.0, elapsed
        print(f"demo OK: the board of {snapshot['hallName']} showed the rating {elapsed * 1000:.0f} ms after it was acknowledged")


asyncio.run(main())
