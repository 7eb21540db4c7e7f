#!/usr/bin/env python3
"""Writes the seed corpora of http_fuzz and admin_api_fuzz (fuzz/corpus/...): requests a real client
sends to `qrscene serve`, signed for service_harness.h's fixed clock and token so that they reach the
handlers. Run it again after changing the harness's accounts or routes."""
import hashlib
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
TOKEN, APP, ADMIN = "fuzztoken", "wxfuzzplain000001", "fuzz-admin-token-0123456789abcdef"
TS = 1714010400


def sig(ts, nonce):
    return hashlib.sha1("".join(sorted([TOKEN, str(ts), nonce])).encode()).hexdigest()


def req(method, target, body=b"", headers=(), auth=True):
    lines = [f"{method} {target} HTTP/1.1", "Host: qrscene.example.com"]
    if auth:
        lines.append(f"Authorization: Bearer {ADMIN}")
    lines += list(headers)
    if body or method in ("POST", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def push(xml, nonce="n1", ts=TS):
    q = f"signature={sig(ts, nonce)}&timestamp={ts}&nonce={nonce}&openid=oFuzzUser1"
    return req("POST", f"/wechat/{APP}?{q}", xml.encode(), ["Content-Type: text/xml"], auth=False)


def event(kind, key="", ticket="", user="oFuzzUser1", t=TS):
    extra = f"<EventKey><![CDATA[{key}]]></EventKey><Ticket><![CDATA[{ticket}]]></Ticket>" if key else ""
    return (f"<xml><ToUserName><![CDATA[gh_fuzz]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
            f"<CreateTime>{t}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{kind}]]></Event>"
            f"{extra}</xml>")


http = {
    "healthz": req("GET", "/healthz", auth=False),
    "metrics": req("GET", "/metrics", auth=False),
    "dashboard": req("GET", "/", auth=False),
    "echo": req("GET", f"/wechat/{APP}?signature={sig(TS, 'n2')}&timestamp={TS}&nonce=n2&echostr=hello", auth=False),
    "subscribe": push(event("subscribe", "qrscene_1", "gQH47joAAAAAAAAAASxodHRw")),
    "scan": push(event("SCAN", "1", "gQH47joAAAAAAAAAASxodHRw", "oFuzzUser2"), "n3"),
    "unsubscribe": push(event("unsubscribe"), "n4"),
    "text": push("<xml><ToUserName>gh_fuzz</ToUserName><FromUserName>oFuzzUser3</FromUserName>"
                 f"<CreateTime>{TS}</CreateTime><MsgType>text</MsgType><Content>1</Content>"
                 "<MsgId>1234567890123456</MsgId></xml>", "n5"),
    "channels": req("GET", "/api/v1/channels?status=active&group=%E7%BA%BF%E4%B8%8B"),
    "channel": req("GET", "/api/v1/channels/1"),
    "channel_qr": req("GET", "/api/v1/channels/1/qr.svg?size=300&margin=2&dark=%23112233"),
    "stats": req("GET", "/api/v1/stats?from=2024-04-01&to=2024-04-25&channel=1,2&granularity=week"),
    "breakdown": req("GET", "/api/v1/stats/breakdown?by=owner&owner=%E5%B0%8F%E7%8E%8B"),
    "export": req("GET", "/api/v1/export?format=xlsx&by=group"),
    "followers": req("GET", "/api/v1/followers?status=left&sort=left_at&order=desc&page=2&per_page=50"),
    "followers_export": req("GET", "/api/v1/followers/export?format=csv&channel=1"),
    "report": req("GET", "/api/v1/conversions/report?by=channel&touch=last"),
    "jobs": req("GET", "/api/v1/jobs"),
    "quota": req("GET", "/api/v1/quota"),
    "no_token": req("GET", "/api/v1/channels", auth=False),
    "create": req("POST", "/api/v1/channels", b'{"name":"\xe5\x9c\xb0\xe9\x93\x81","kind":"permanent","scene":"metro"}',
                  ["Content-Type: application/json"]),
    "patch": req("PATCH", "/api/v1/channels/2", b'{"owner":"x","evergreen":true}', ["Content-Type: application/json"]),
    "pause": req("POST", "/api/v1/channels/2/pause"),
    "login": req("POST", "/api/v1/login-sessions", b'{"purpose":"login"}', ["Content-Type: application/json"],
                 auth=False),
    "login_status": req("GET", "/api/v1/login-sessions/abcdef0123456789/status", auth=False),
    "login_events": req("GET", "/api/v1/login-sessions/abcdef0123456789/events", auth=False),
    "bindings": req("GET", "/api/v1/login-bindings?user_id=u1"),
    "chunked": (b"POST /api/v1/channels HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + ADMIN.encode() +
                b"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"8\r\n{\"name\":\r\n6\r\n\"post\"\r\n1\r\n}\r\n0\r\n\r\n"),
    "pipelined": req("GET", "/healthz", auth=False) + req("GET", "/api/v1/accounts") + req("GET", "/metrics"),
    "smuggled": (b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                 b"0\r\n\r\nGET /metrics HTTP/1.1\r\n\r\n"),
    "http10": b"GET /healthz HTTP/1.0\r\n\r\n",
    "request_id": req("GET", "/healthz", headers=["X-Request-Id: abc-123_x.y"], auth=False),
}

admin = {
    "channel": (0, '{"name":"地铁广告 B1","group":"线下","owner":"小李","kind":"permanent","scene":"metro_b1",'
                   '"on_subscribe":{"kind":"text","text":"欢迎来自{channel}的朋友"},"tag":"地铁","spend_cents":120000}'),
    "channel_temporary": (0, '{"name":"海报","kind":"temporary","expire_seconds":2592000,"scene":1234,"evergreen":true,'
                             '"on_scan":{"kind":"news","title":"t","description":"d","url":"https://e.com","pic_url":"https://e.com/p.png"}}'),
    "patch": (1, '{"name":"新名字","on_scan":"又见面了","evergreen":false,"spend_cents":0}'),
    "qr": (2, '{"url":"http://weixin.qq.com/q/abc","format":"svg","size":300,"margin":2,"dark":"#112233","light":"#ffffff"}'),
    "qr_logo": (2, '{"url":"http://weixin.qq.com/q/abc","format":"png","size":200,"logo_base64":"iVBORw0KGgo="}'),
    "conversion": (3, '{"openid":"oFuzzUser1","kind":"order","value_cents":9950,"currency":"CNY",'
                      '"occurred_at":"2024-04-25T10:00:00+08:00","external_id":"ord-1"}'),
    "conversion_unionid": (3, '{"unionid":"uFuzz","kind":"signup","value_cents":0,"occurred_at":1714010000,"external_id":"s-2"}'),
    "login": (4, '{"purpose":"bind","user_id":"u1","confirm_in_wechat":true,"expires_in":120,"channel_id":1,'
                 '"secret_in_body":true,"client_ip":"198.51.100.7","user_agent":"Mozilla/5.0"}'),
    "exchange": (5, '{"code":"0123456789abcdef0123456789abcdef"}'),
    "channel_import": (6, "name,group,owner,kind,scene,expire_seconds,evergreen,reply_subscribe,reply_scan,tag,spend_cents\r\n"
                          "地铁,线下,小王,permanent,metro,,yes,欢迎,,地铁,100\r\n"
                          "\"海报, A\",线下,小李,temporary,77,604800,no,,\"又 \"\"见\"\"\",,\r\n"),
    "conversion_import": (7, "external_id,openid,unionid,kind,value_cents,currency,occurred_at\n"
                             "o-1,oFuzzUser1,,order,9950,CNY,2024-04-25T10:00:00+08:00\n"
                             "o-2,,uFuzz,order,100,,1714010000\n"),
}

for name, data in http.items():
    (HERE / "corpus/http_fuzz" / name).write_bytes(data)
for name, (route, body) in admin.items():
    (HERE / "corpus/admin_api_fuzz" / name).write_bytes(bytes([route]) + body.encode())
