"""A second implementation of WeChat's safe mode for tests/api/wechat_interop.rs:
wechatpy (PyPI) encrypts a message our server must decrypt, and decrypts our reply.

Reads one JSON object on stdin, writes one on stdout.
  {"op": "encrypt", "token", "key", "app_id", "xml", "nonce", "timestamp"}
      -> {"body": <wechatpy's envelope>, "msg_signature": ...}
  {"op": "decrypt", "token", "key", "app_id", "body"}
      -> {"xml": <decrypted reply>}
"""
import json
import sys

import xmltodict
from wechatpy.crypto import WeChatCrypto


def main():
    req = json.load(sys.stdin)
    crypto = WeChatCrypto(req["token"], req["key"], req["app_id"])
    if req["op"] == "encrypt":
        body = crypto.encrypt_message(req["xml"], req["nonce"], req["timestamp"])
        signature = xmltodict.parse(body)["xml"]["MsgSignature"]
        out = {"body": body, "msg_signature": signature}
    elif req["op"] == "decrypt":
        envelope = xmltodict.parse(req["body"])["xml"]
        plain = crypto.decrypt_message(
            req["body"], envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
        )
        out = {"xml": plain}
    else:
        raise SystemExit("unknown op")
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
