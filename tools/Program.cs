// SPDX-License-Identifier: MIT
// Managed side. Entry point of the linuxshim command line.
return LinuxShim.Tools.Cli.Run(args);
