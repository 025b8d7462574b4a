"""Writes pre-encrypted, pre-signed safe-mode requests for webhook_safe.lua, one file per
wrk thread: `<prefix>.<thread>` with lines `query<TAB>body`. Each message has its own
MsgId and sender; wechatpy does the encryption (an independent implementation).

usage: gen_safe_bodies.py PREFIX THREADS PER_THREAD WORDS [repeat]
"""
import hashlib
import sys
import time

from wechatpy.crypto import WeChatCrypto

TOKEN = "sunvillage-dev-token"
KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
APP_ID = "wx5823bf96d3bd56c7"


def sign(*parts):
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def main():
    prefix, threads, per_thread, words = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    repeat = len(sys.argv) > 5 and sys.argv[5] == "repeat"
    crypto = WeChatCrypto(TOKEN, KEY, APP_ID)
    ts = str(int(time.time()))
    for t in range(1, threads + 1):
        with open(f"{prefix}.{t}", "w", encoding="utf-8") as out:
            for i in range(1 if repeat else per_thread):
                nonce = str(t * 10_000_000 + i)
                sender = f"oBench{t}_{i % 20000:05d}"
                msg = (
                    "<xml><ToUserName><![CDATA[gh_bench]]></ToUserName>"
                    f"<FromUserName><![CDATA[{sender}]]></FromUserName><CreateTime>{ts}</CreateTime>"
                    f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{words}]]></Content>"
                    f"<MsgId>{t}{i:012d}</MsgId></xml>"
                )
                encrypt = crypto.encrypt_message(msg, nonce, ts)
                encrypt = encrypt.split("<Encrypt><![CDATA[", 1)[1].split("]]>", 1)[0]
                query = (
                    f"signature={sign(TOKEN, ts, nonce)}&timestamp={ts}&nonce={nonce}"
                    f"&encrypt_type=aes&msg_signature={sign(TOKEN, ts, nonce, encrypt)}"
                )
                body = f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
                out.write(f"{query}\t{body}\n")


if __name__ == "__main__":
    main()
