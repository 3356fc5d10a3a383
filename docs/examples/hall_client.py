#!/usr/bin/env python3
"""hall_client.py - a hall's client of bangdai's intake, written from
docs/PROTOCOL.md and proto/bangdai.proto alone, with pyzmq and the Google
protobuf runtime (Debian: python3-zmq python3-protobuf protobuf-compiler).

    protoc --python_out=DIR proto/bangdai.proto      # makes DIR/bangdai_pb2.py
    PYTHONPATH=DIR python3 docs/examples/hall_client.py \
        --endpoint tcp://127.0.0.1:7101 --server-key var/keys/intake.key \
        --key var/keys/hall.key_secret submit --phone NUMBER

Commands:
    submit --phone NUMBER [--request-id UUID] [--unit-name TEXT] [--location TEXT]
           [--channel online|hall] [--zone CODE] [--created-at-us N]
        submits the sample application (three items, 代办, 高新区) and
        prints "case CASE_NO" (with " (duplicate)" when the request id was
        seen before) or "error CODE FIELD: MESSAGE".
    status CASE_NO
        prints the case's state and its tasks.
    withdraw CASE_NO REASON
        withdraws a case.
--socket req uses a REQ socket instead of a DEALER (one request at a time).
--no-curve connects without CURVE, to see what such a client gets: silence
(the daemon refuses the handshake and logs link.refused).
Exit status: 0 answered (a case, a status), 1 refused (the Error printed),
3 no answer in 5 s.

tests/integration/test_protocol.sh runs it against the real daemons, so the
contract and this example cannot drift apart.
"""
import argparse
import sys
import time
import uuid

import zmq

import bangdai_pb2 as pb


def load_cert(path):
    """The Z85 public and secret keys of a czmq certificate file."""
    public = secret = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line.startswith("public-key"):
                public = line.split("=", 1)[1].strip().strip('"')
            elif line.startswith("secret-key"):
                secret = line.split("=", 1)[1].strip().strip('"')
    return public, secret


def envelope(msg_type, payload, created_at_us=None):
    """An Envelope around payload: a fresh id (any UUID; bangdai makes
    UUIDv7), the type name, source "hall", the id again as trace id."""
    msg_id = str(uuid.uuid4())
    env = pb.Envelope(
        id=msg_id,
        type=msg_type,
        source="hall",
        trace_id=msg_id,
        created_at_us=int(time.time() * 1e6) if created_at_us is None else created_at_us,
        payload=payload.SerializeToString(),
        protocol=1,
    )
    return msg_id, env.SerializeToString()


def ask(args, msg_type, payload, reply_type, created_at_us=None):
    """Sends one request and waits for its answer: the reply (matched by
    trace_id) or an Error (matched by ref_id)."""
    ctx = zmq.Context.instance()
    sock = ctx.socket(zmq.REQ if args.socket == "req" else zmq.DEALER)
    if not args.no_curve:
        server_public, _ = load_cert(args.server_key)
        public, secret = load_cert(args.key)
        sock.curve_serverkey = server_public.encode()
        sock.curve_publickey = public.encode()
        sock.curve_secretkey = secret.encode()
    sock.linger = 0
    sock.rcvtimeo = 5000
    sock.connect(args.endpoint)
    msg_id, frame = envelope(msg_type, payload, created_at_us)
    # One frame: the Envelope. A REQ socket adds (and strips) the empty
    # delimiter itself; bangdai answers it in kind.
    sock.send(frame)
    try:
        while True:
            reply = pb.Envelope()
            reply.ParseFromString(sock.recv())
            if reply.type == "Error":
                err = pb.Error()
                err.ParseFromString(reply.payload)
                if err.ref_id in (msg_id, ""):
                    return None, err
            elif reply.type == reply_type and reply.trace_id == msg_id:
                body = getattr(pb, reply_type)()
                body.ParseFromString(reply.payload)
                return body, None
    except zmq.Again:
        return None, None
    finally:
        sock.close()


def sample_application(args):
    req = pb.SubmitRequest(
        request_id=args.request_id or str(uuid.uuid4()),
        service_type="agency",
        items=args.items.split(","),
        delivery="in_person",
        channel=args.channel,
    )
    req.unit.name = args.unit_name
    req.unit.credit_code = "91500231MA61Q7K31M"
    req.project.name = "高新区智能装备产业园一期"
    req.project.code = "2306-500231-04-01-123456"
    req.project.zone = args.zone
    req.project.kind = "新建"
    req.project.location = args.location
    req.contact.name = "李敏"
    req.contact.phone = args.phone
    return req


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--server-key", required=True, help="intake's public certificate (intake.key)")
    ap.add_argument("--key", required=True, help="the hall's secret certificate (hall.key_secret)")
    ap.add_argument("--socket", choices=["dealer", "req"], default="dealer")
    ap.add_argument("--no-curve", action="store_true", help=argparse.SUPPRESS)
    sub = ap.add_subparsers(dest="command", required=True)
    s = sub.add_parser("submit")
    s.add_argument("--request-id")
    s.add_argument("--unit-name", default="重庆澄岚智能装备有限公司")
    s.add_argument("--location", default="垫江县高新区桂溪工业园")
    s.add_argument("--phone", required=True, help="the contact's whole mobile number")
    s.add_argument("--channel", default="online")
    s.add_argument("--zone", default="gxq")
    s.add_argument("--items", default="LX-BA,GC-SBFA,SG-XK", help="catalog codes, comma-separated")
    s.add_argument("--created-at-us", type=int)
    st = sub.add_parser("status")
    st.add_argument("case_no")
    w = sub.add_parser("withdraw")
    w.add_argument("case_no")
    w.add_argument("reason")
    args = ap.parse_args()
    # Test hooks: \x00 and \x1b written as text become the characters.
    for name in ("unit_name", "location"):
        if hasattr(args, name):
            setattr(args, name, getattr(args, name).replace("\\x00", "\x00").replace("\\x1b", "\x1b"))

    if args.command == "submit":
        reply, err = ask(args, "SubmitRequest", sample_application(args), "SubmitReply",
                         args.created_at_us)
        if reply:
            print(f"case {reply.case_no}" + (" (duplicate)" if reply.duplicate else ""))
    elif args.command == "status":
        reply, err = ask(args, "StatusRequest", pb.StatusRequest(case_no=args.case_no), "StatusReply")
        if reply:
            print(f"{reply.case_no} {reply.state}")
            for t in reply.tasks:
                print(f"  {t.task_id} {t.state} {t.due_date or '-'}")
    else:
        reply, err = ask(args, "WithdrawRequest",
                         pb.WithdrawRequest(case_no=args.case_no, reason=args.reason), "WithdrawReply")
        if reply:
            print(f"withdrawn {args.case_no}")
    if err:
        print(f"error {err.code} {err.field}: {err.message}")
        return 1
    if not reply:
        print("no answer in 5 s")
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
