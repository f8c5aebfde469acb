// SPDX-License-Identifier: MIT
// Managed side. The device server and its tests share the libc bindings of shim/Vfio/Interop.
using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("LinuxShim.Devices")]
[assembly: InternalsVisibleTo("LinuxShim.Devices.Tests")]
