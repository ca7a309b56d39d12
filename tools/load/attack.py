#!/usr/bin/env python3
"""Runs the attacks of issue 17 against a running `ecg serve` on loopback, together with normal
traffic, for a fixed time, then prints: normal requests' p50/p99, /health's worst latency, the
server's peak RSS (VmHWM), every 5xx seen, how long each attack took to be answered, the load
average, and the server's CPU time and run-queue wait per thread (from /proc/PID/task/*/schedstat).

/health is probed from a separate process: the attack threads share one interpreter lock, and a
probe among them measured the client's lock as much as the server (payloads are made once, up
front, for the same reason).

    tools/load/attack.py --port PORT --pid SERVER_PID [--seconds 60] [--image PAGE.png]

Started by tools/load/attack.sh, which builds the server and its four models. Python's standard
library only, plus Pillow (when installed) for the progressive-JPEG and 16-bit PNG attacks.
Loopback only; every attack sends bounded data and the whole run ends after --seconds.
"""
import argparse
import http.client
import io
import multiprocessing
import os
import socket
import statistics
import threading
import time

BOUNDARY = "ecglens-attack-boundary"


def multipart(fields, image=None, image_name="image"):
    parts = []
    for name, value in fields:
        parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value + b"\r\n")
    if image is not None:
        parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{image_name}"; filename="x"\r\n'
                     'Content-Type: image/jpeg\r\n\r\n'.encode() + image + b"\r\n")
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


class Run:
    def __init__(self, port, seconds):
        self.port = port
        self.deadline = time.monotonic() + seconds
        self.lock = threading.Lock()
        self.statuses = {}          # attack name -> {status: count}
        self.answer_ms = {}         # attack name -> [ms from sending to the answer]
        self.worst_ms = {}          # (attack name, status) -> the slowest such answer, ms
        self.normal_ms = []
        self.errors = []            # (name, status, body) of every 5xx

    def live(self):
        return time.monotonic() < self.deadline

    def record(self, name, status, body=b"", started=None):
        with self.lock:
            counts = self.statuses.setdefault(name, {})
            counts[status] = counts.get(status, 0) + 1
            if started is not None:
                self.answer_ms.setdefault(name, []).append((time.monotonic() - started) * 1000)
                self.worst_ms[(name, status)] = max(self.worst_ms.get((name, status), 0.0), (time.monotonic() - started) * 1000)
            if isinstance(status, int) and status >= 500 and status != 503:
                self.errors.append((name, status, body[:200]))

    def post(self, name, body, content_type=None, timeout=30):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        started = time.monotonic()
        try:
            connection.request("POST", "/api/v1/predict", body=body, headers={
                "Content-Type": content_type or f"multipart/form-data; boundary={BOUNDARY}"})
            response = connection.getresponse()
            data = response.read()
            self.record(name, response.status, data, started)
            return response.status
        except (OSError, http.client.HTTPException) as error:
            self.record(name, type(error).__name__)
        finally:
            connection.close()

    def raw(self, name, data, close_early=False):
        """Sends `data` on a raw connection; records the status line's code (or how it ended)."""
        started = time.monotonic()
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
                try:
                    sock.sendall(data)
                except OSError:
                    pass  # the server may answer (414, 431) and close before all of it is sent
                if close_early:
                    self.record(name, "closed early")
                    return
                answer = sock.recv(4096)
                code = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else "no answer"
                self.record(name, code, answer, started)
        except OSError as error:
            self.record(name, type(error).__name__)


def loop(run, attack, pause=0.0):
    while run.live():
        attack()
        if pause:
            time.sleep(pause)


def own_wait_ms():
    """This thread's run-queue wait so far (ms): time it was ready to run but had no CPU."""
    with open("/proc/thread-self/schedstat") as stat:
        return int(stat.read().split()[1]) / 1e6


def probe_health(port, seconds, results):
    """In a process and session of its own (so that the scheduler shares the CPU between it, the
    attack clients and the server as between three programs, as if it were a load balancer on
    another machine): GET /health every 50 ms; sends back (offset s, ms, status, ms this prober
    itself waited for a CPU meanwhile) for each."""
    os.setsid()
    begin = time.monotonic()
    samples = []
    while time.monotonic() - begin < seconds:
        start = time.monotonic()
        waited = own_wait_ms()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("GET", "/health")
            status = connection.getresponse().status
        except (OSError, http.client.HTTPException) as error:
            status = type(error).__name__
        finally:
            connection.close()
        samples.append((start - begin, (time.monotonic() - start) * 1000, status, own_wait_ms() - waited))
        time.sleep(0.05)
    results.put(samples)


def threads_of(pid):
    """{tid: (name, nice, cpu ns, run-queue wait ns)} of the process's threads now."""
    found = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            stat = open(f"/proc/{pid}/task/{tid}/stat").read()
            name = stat[stat.index("(") + 1:stat.rindex(")")]
            nice = int(stat[stat.rindex(")") + 2:].split()[16])
            cpu, wait, _ = (int(v) for v in open(f"/proc/{pid}/task/{tid}/schedstat").read().split())
            found[tid] = (name, nice, cpu, wait)
        except (OSError, ValueError):
            pass
    return found


def thread_report(before, after, seconds):
    """CPU and run-queue wait per thread group (name and nice) between two `threads_of` samples."""
    groups = {}
    for tid, (name, nice, cpu, wait) in after.items():
        _, _, cpu0, wait0 = before.get(tid, (name, nice, 0, 0))
        group = (name.rstrip("0123456789-#"), nice)
        total = groups.setdefault(group, [0, 0, 0])
        total[0] += 1
        total[1] += cpu - cpu0
        total[2] += wait - wait0
    print(f"server threads over the run (CPU and run-queue wait, seconds; {seconds:.0f} s of wall time):")
    for (name, nice), (count, cpu, wait) in sorted(groups.items(), key=lambda item: -item[1][1]):
        if cpu or wait:
            print(f"  {name:22} nice {nice:3}  x{count:<3} CPU {cpu / 1e9:7.2f}  waiting {wait / 1e9:7.2f}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--image", default="Sources/Server/Resources/static/example-ecg.png")
    parser.add_argument("--quiet", action="store_true", help="only the /health probes: the machine's baseline")
    arguments = parser.parse_args()
    page = open(arguments.image, "rb").read()
    models = [b"small_cnn", b"mobilenetv2", b"inceptionv3", b"vgg16"]

    # The attack payloads, made once (making them per request cost the client more CPU than the
    # server spent refusing them).
    try:
        from PIL import Image
        buffer = io.BytesIO()
        Image.new("L", (4000, 4000), 128).save(buffer, "JPEG", progressive=True)
        jpeg = buffer.getvalue()
        last_sos = jpeg.rfind(b"\xff\xda")
        scan_bomb = jpeg[:-2] + jpeg[last_sos:-2] * 1000 + b"\xff\xd9"
        buffer = io.BytesIO()
        Image.new("RGBA", (3900, 3900), (10, 20, 30, 255)).save(buffer, "PNG")  # 15.2 MP, under the limit
        big_png = buffer.getvalue()
        buffer = io.BytesIO()
        Image.new("RGB", (16, 16)).save(buffer, "JPEG")
        header_bomb = bytearray(buffer.getvalue())
        sof = header_bomb.find(b"\xff\xc0")
        header_bomb[sof + 5:sof + 9] = (7000).to_bytes(2, "big") * 2
        header_bomb = bytes(header_bomb)
    except ImportError:
        print("note: Pillow is not installed: the scan-bomb and large-image attacks are left out")
        scan_bomb = big_png = header_bomb = None
    scan_bombs = [multipart([("model", m)], scan_bomb) for m in models] if scan_bomb else []
    large_pngs = [multipart([("model", m)], big_png) for m in models] if big_png else []
    header_bomb_body = multipart([], header_bomb) if header_bomb else None
    urlencoded_body = b"a=1&" * 2_000_000
    long_name_body = multipart([("x" * 19_000_000, b"1")])
    unknown_bodies = [multipart([("model", os.urandom(8).hex().encode() * 131_072)], page) for _ in range(4)]
    uploads = [multipart([], b"\xff\xd8\xff" + os.urandom(19_900_000)) for _ in range(2)]
    normal_body = multipart([("model", b"small_cnn")], page)
    counter = iter(range(1 << 62))

    run = Run(arguments.port, arguments.seconds)
    attacks = {
        # 1. progressive-JPEG scan bomb, one per model
        "scan_bomb": lambda: [run.post("scan_bomb", body) for body in scan_bombs],
        # 3. 2-million-field url-encoded body, and a 19 MB field name
        "urlencoded_fields": lambda: run.post("urlencoded_fields", urlencoded_body, "application/x-www-form-urlencoded"),
        "long_field_name": lambda: run.post("long_field_name", long_name_body),
        # 4. unknown model names of 2 MB
        "unknown_models": lambda: run.post("unknown_models", unknown_bodies[next(counter) % 4]),
        # 5. large images over the four models, and a 633-byte 7000x7000 header
        "large_png": lambda: large_pngs and run.post("large_png", large_pngs[next(counter) % 4]),
        "header_bomb": lambda: header_bomb_body and run.post("header_bomb", header_bomb_body),
        # 6. 20 MB uploads
        "upload_20mb": lambda: run.post("upload_20mb", uploads[next(counter) % 2]),
        # 7. a body shorter than its Content-Length, then a closed connection
        "aborted_body": lambda: run.raw("aborted_body", (
            f"POST /api/v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
            f"Content-Length: 1000000\r\n\r\n--{BOUNDARY}\r\n").encode(), close_early=True),
        # 9. HTTP-level refusals
        "long_url": lambda: run.raw("long_url", b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"),
        "long_headers": lambda: run.raw("long_headers", b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: " + b"b" * 100_000 + b"\r\n\r\n"),
        "bad_length": lambda: run.raw("bad_length", b"POST /api/v1/predict HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n"),
    }
    # Parallelism per attack, as in the reports (16 large-image connections, 4 long names...).
    parallel = {"scan_bomb": 1, "urlencoded_fields": 2, "long_field_name": 4, "unknown_models": 2, "large_png": 16,
                "header_bomb": 2, "upload_20mb": 16, "aborted_body": 1, "long_url": 1, "long_headers": 1, "bad_length": 1}

    def normal():
        start = time.monotonic()
        status = run.post("normal", normal_body, timeout=60)
        if status == 200:
            with run.lock:
                run.normal_ms.append((time.monotonic() - start) * 1000)

    results = multiprocessing.Queue()
    prober = multiprocessing.Process(target=probe_health, args=(run.port, arguments.seconds, results))
    threads = [] if arguments.quiet else [threading.Thread(target=loop, args=(run, normal)) for _ in range(2)]
    for name, attack in attacks.items():
        threads += [threading.Thread(target=loop, args=(run, attack, 0.1)) for _ in range(0 if arguments.quiet else parallel[name])]
    load_before = os.getloadavg()
    threads_before = threads_of(arguments.pid)
    began = time.monotonic()
    prober.start()
    for thread in threads:
        thread.start()
    rss = []
    while run.live():
        try:
            status = open(f"/proc/{arguments.pid}/status").read()
            rss.append(int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1]) // 1024)
        except (OSError, StopIteration):
            pass
        time.sleep(0.2)
    threads_after = threads_of(arguments.pid)
    health = results.get()
    prober.join()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - began
    load_after = os.getloadavg()
    try:
        status = open(f"/proc/{arguments.pid}/status").read()
        peak = int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) // 1024
    except (OSError, StopIteration):
        peak = max(rss or [0])

    def percentile(values, p):
        return statistics.quantiles(values, n=100)[p - 1] if len(values) >= 2 else (values[0] if values else float("nan"))

    print(f"duration: {arguments.seconds:.0f} s; machine: {os.cpu_count()} CPUs; load average "
          f"{load_before[0]:.1f} before, {load_after[0]:.1f} after (1 min)")
    print("answers (status: count; answer time p50 / worst in ms):")
    for name, counts in sorted(run.statuses.items()):
        times = run.answer_ms.get(name, [])
        timing = f"; {percentile(times, 50):.0f} / {max(times):.0f} ms" if times else ""
        worst = ", ".join(f"{status} {ms:.0f}" for (attack, status), ms in sorted(run.worst_ms.items(), key=str) if attack == name)
        print(f"  {name:18} {dict(sorted(counts.items(), key=str))}{timing}{f' (worst by status: {worst} ms)' if worst else ''}")
    print(f"normal requests: {len(run.normal_ms)} answered 200; p50 {percentile(run.normal_ms, 50):.0f} ms, "
          f"p99 {percentile(run.normal_ms, 99):.0f} ms")
    health_ms = [ms for _, ms, _, _ in health]
    slow = sorted(health, key=lambda sample: -sample[1])[:3]
    print(f"/health (separate process): {len(health)} probes, statuses {sorted({str(s) for _, _, s, _ in health})}; "
          f"p50 {percentile(health_ms, 50):.1f} ms, p99 {percentile(health_ms, 99):.1f} ms, worst {max(health_ms or [0]):.1f} ms "
          f"(at {', '.join(f'{t:.1f} s' for t, _, _, _ in slow)}); over 50 ms: {sum(ms > 50 for ms in health_ms)}")
    # The same probes less the time the prober itself sat in the run queue: what the server and
    # the network path took, which a prober on another machine would have seen.
    served_ms = [max(ms - wait, 0.0) for _, ms, _, wait in health]
    print(f"/health less the prober's own run-queue wait: p50 {percentile(served_ms, 50):.1f} ms, "
          f"p99 {percentile(served_ms, 99):.1f} ms, worst {max(served_ms or [0]):.1f} ms; over 50 ms: {sum(ms > 50 for ms in served_ms)}")
    print(f"server RSS: peak {peak} MB (VmHWM), highest sampled {max(rss or [0])} MB, last {rss[-1] if rss else 0} MB")
    thread_report(threads_before, threads_after, wall)
    print(f"5xx answers other than 503: {len(run.errors)}")
    for name, status, body in run.errors[:10]:
        print(f"  {name}: {status} {body!r}")
    return 1 if run.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
