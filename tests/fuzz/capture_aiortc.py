#!/usr/bin/env python3
"""Seeds fuzz corpora from real traffic: runs integration tests with aiortc patched to
write every plaintext packet it sends or receives (RTP and RTCP before SRTP protect /
after unprotect, DCEP messages, SDPs) into a capture folder, one file per packet:
    <out>/rtp/*, <out>/rtcp/*, <out>/dcep/*, <out>/sdp/*
Then minimise them into tests/fuzz/corpus/<target>/ with libFuzzer -merge=1 (see
tools/fuzz).
    SY_BUILD_DIR=$PWD/build /usr/bin/python3 tests/fuzz/capture_aiortc.py OUT \
        tests/integration/test_echotest_aiortc.py [test-name-filter...]
"""
import hashlib
import importlib.util
import os
import sys

OUT = os.path.abspath(sys.argv[1])
TEST = os.path.abspath(sys.argv[2])
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))

from aiortc import RTCPeerConnection, rtcdtlstransport, rtcsctptransport  # noqa: E402
from aiortc.rtp import is_rtcp  # noqa: E402

LIMIT = 400  # files per kind: enough variety, small enough to minimise quickly
counts = {}


def dump(kind, data):
    if not data or counts.get(kind, 0) >= LIMIT:
        return
    d = os.path.join(OUT, kind)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    path = os.path.join(d, name)
    if not os.path.exists(path):
        counts[kind] = counts.get(kind, 0) + 1
        with open(path, "wb") as f:
            f.write(data)


T = rtcdtlstransport.RTCDtlsTransport
_send_rtp, _rx_rtp, _rx_rtcp = T._send_rtp, T._handle_rtp_data, T._handle_rtcp_data


async def send_rtp(self, data):
    dump("rtcp" if is_rtcp(data) else "rtp", bytes(data))
    return await _send_rtp(self, data)


async def rx_rtp(self, data, arrival_time_ms):
    dump("rtp", bytes(data))
    return await _rx_rtp(self, data, arrival_time_ms)


async def rx_rtcp(self, data):
    dump("rtcp", bytes(data))
    return await _rx_rtcp(self, data)


T._send_rtp, T._handle_rtp_data, T._handle_rtcp_data = send_rtp, rx_rtp, rx_rtcp

S = rtcsctptransport.RTCSctpTransport
_sctp_rx, _sctp_tx = S._receive, S._send


async def sctp_rx(self, stream_id, pp_id, data):
    if pp_id == rtcsctptransport.WEBRTC_DCEP:
        dump("dcep", bytes(data))
    return await _sctp_rx(self, stream_id, pp_id, data)


async def sctp_tx(self, stream_id, pp_id, user_data, *args, **kwargs):
    if pp_id == rtcsctptransport.WEBRTC_DCEP:
        dump("dcep", bytes(user_data))
    return await _sctp_tx(self, stream_id, pp_id, user_data, *args, **kwargs)


S._receive, S._send = sctp_rx, sctp_tx

_set_local, _set_remote = RTCPeerConnection.setLocalDescription, RTCPeerConnection.setRemoteDescription


async def set_local(self, desc=None):
    r = await _set_local(self, desc)
    dump("sdp", self.localDescription.sdp.encode())
    return r


async def set_remote(self, desc):
    dump("sdp", desc.sdp.encode())
    return await _set_remote(self, desc)


RTCPeerConnection.setLocalDescription, RTCPeerConnection.setRemoteDescription = set_local, set_remote

import sy  # noqa: E402

sy._reexec_in_netns()  # noqa: SLF001 - keeps OUT and TEST in the re-executed argv
spec = importlib.util.spec_from_file_location("captured_test", TEST)
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
sys.argv = [sys.argv[0]] + sys.argv[3:]  # the rest are the harness's test filters
sy.run(vars(mod))
