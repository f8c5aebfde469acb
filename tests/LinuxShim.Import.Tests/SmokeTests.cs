// SPDX-License-Identifier: MIT
namespace LinuxShim.Import.Tests;
public class SmokeTests { [Fact] public void Runs() => Assert.Equal(0, LinuxShim.Tools.Cli.Run([])); }
