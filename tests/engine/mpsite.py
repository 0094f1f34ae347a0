"""A small web site in micropython.org's shape on 127.0.0.1, for the
MicroPython firmware tests: /download/<ID>/ lists the board's files as
links to /resources/firmware/<file>, as the real site does (written here
by hand, a few lines, not a copy of the site).  The first part of the path
picks how the site behaves, so one server serves every case:

  /ok/...         as the site is
  /changed/...    a board page that no longer links files by their names
  /500/...        every answer 500 Internal Server Error
  /truncated/...  files cut short (Content-Length says more than is sent)
  /wrongtype/...  files served as text/html (a captive portal)
  /slow/...       files sent slowly (for cancelling mid-download)

Run with /usr/bin/python3 (Debian's modules)."""
import http.server
import os
import socketserver
import threading
import time

PAGE = """<!DOCTYPE html>
<html><head><title>MicroPython - Python for microcontrollers</title></head>
<body>
<h1>{board}</h1>
<p>Vendor: George Robotics</p>
<h2>Firmware</h2>
<h3>Releases</h3>
{releases}
<h3>Preview builds</h3>
{previews}
</body></html>
"""


class Site:
    """files: {board: {file_name: bytes}}; requests: paths asked, in order"""

    def __init__(self, files):
        self.files = files
        self.requests = []
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                site.requests.append(self.path)
                mode, _, rest = self.path.lstrip("/").partition("/")
                site.answer(self, mode, "/" + rest)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, mode="ok"):
        return f"http://127.0.0.1:{self.server.server_address[1]}/{mode}/"

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def page(self, mode, board):
        names = sorted(self.files.get(board, {}), reverse=True)
        def links(previews):
            out = []
            for n in names:
                if ("-preview." in n) != previews:
                    continue
                href = f"/{mode}/resources/firmware/{n}" if mode != "changed" else f"/{mode}/fw?id={n}"
                out.append(f'<strong>v{n.split("-v")[-1].rsplit(".", 1)[0]}</strong> '
                           f'<a href="{href}">[.{n.rsplit(".", 1)[1]}]</a><br>')
            return "\n".join(out)
        return PAGE.format(board=board, releases=links(False), previews=links(True)).encode()

    def answer(self, h, mode, path):
        if mode == "500":
            return self.send(h, 500, b"<h1>Server Error</h1>", "text/html")
        parts = path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "download":
            if parts[1] not in self.files:
                return self.send(h, 404, b"<h1>Not Found</h1>", "text/html")
            return self.send(h, 200, self.page(mode, parts[1]), "text/html; charset=utf-8")
        if len(parts) == 3 and parts[:2] == ["resources", "firmware"]:
            for board_files in self.files.values():
                if parts[2] in board_files:
                    data = board_files[parts[2]]
                    if mode == "truncated":
                        return self.send(h, 200, data[:len(data) // 2], "application/octet-stream", length=len(data))
                    if mode == "wrongtype":
                        return self.send(h, 200, b"<html>Please log in</html>", "text/html")
                    return self.send(h, 200, data, "application/octet-stream", slow=(mode == "slow"))
        return self.send(h, 404, b"<h1>Not Found</h1>", "text/html")

    @staticmethod
    def send(h, status, body, content_type, length=None, slow=False):
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(length if length is not None else len(body)))
        h.end_headers()
        try:
            if slow:
                for i in range(0, len(body), 4096):
                    h.wfile.write(body[i:i + 4096])
                    h.wfile.flush()
                    time.sleep(0.05)
            else:
                h.wfile.write(body)
            if length is not None:
                h.wfile.flush()
                h.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            pass
