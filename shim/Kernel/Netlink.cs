// SPDX-License-Identifier: MIT
// Managed side. Netlink's extended-ack tracepoint (net/netlink/af_netlink.c): NL_SET_ERR_MSG() calls
// do_trace_netlink_extack() with the message it puts in a request's extack, whether or not anyone traces it.
// A driver host has no netlink socket and no tracing; the event goes to the host's log at debug level, which
// is where a trace of it can be read here.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LinuxShim.Shim.Kernel;

public static class Netlink
{
    [KernelSymbol("do_trace_netlink_extack"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void DoTraceNetlinkExtack(nint msg) => Machine.Log(7, $"netlink_extack: msg={Marshal.PtrToStringUTF8(msg)}");
}
