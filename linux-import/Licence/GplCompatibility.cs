// SPDX-License-Identifier: MIT
// Managed side. Whether code under an SPDX expression may share an address space (be combined into
// one work) with GPL-2.0-only code, and why not when it may not. A judgement table, kept short and
// explicit: what is not in it is reported as unknown, which counts as not compatible.
namespace LinuxShim.Import.Licence;

/// <param name="Compatible">True when the combination may be distributed under GPL-2.0-only.</param>
/// <param name="Reason">Why (always set: the report shows it for both answers).</param>
public sealed record Verdict(bool Compatible, string Reason);

public static class GplCompatibility
{
    /// <summary>GPL-2.0 itself, in every spelling: the licences whose code makes an address space "GPL".</summary>
    public static bool IsGpl2(SpdxLicense l) =>
        l.Id is "GPL-2.0" or "GPL-2.0-only" or "GPL-2.0-or-later" || (l.Id == "GPL-1.0" && l.OrLater) || l.Id == "GPL-1.0-or-later";

    /// <summary>True when code under <paramref name="e"/> is bound by GPL-2.0: it is what makes an address
    /// space "GPL". A dual-licensed file (GPL-2.0 OR MIT) may be taken under its other licence, and a uapi
    /// header (WITH Linux-syscall-note) binds no code using it, so neither counts.</summary>
    public static bool BindsGpl2(SpdxExpression e) => e switch
    {
        SpdxLicense l => IsGpl2(l),
        SpdxWith w => IsGpl2(w.License) && !UserSpaceExceptions.Contains(w.Exception),
        SpdxAnd a => BindsGpl2(a.Left) || BindsGpl2(a.Right),
        SpdxOr o => BindsGpl2(o.Left) && BindsGpl2(o.Right),
        _ => false,
    };

    /// <summary>Exceptions after which GPL-2.0 code no longer binds code it is used with (uapi headers).</summary>
    private static readonly HashSet<string> UserSpaceExceptions = ["Linux-syscall-note"];

    private static readonly Dictionary<string, string> Compatible = new(StringComparer.Ordinal)
    {
        ["GPL-2.0"] = "GPL-2.0 itself",
        ["GPL-2.0-only"] = "GPL-2.0 itself",
        ["GPL-2.0-or-later"] = "GPL-2.0 or later: may be used under GPL-2.0",
        ["GPL-1.0-or-later"] = "GPL-1.0 or later: may be used under GPL-2.0",
        ["LGPL-2.0"] = "LGPL-2.0 permits relicensing under GPL-2.0 (section 3)",
        ["LGPL-2.0-only"] = "LGPL-2.0 permits relicensing under GPL-2.0 (section 3)",
        ["LGPL-2.0-or-later"] = "LGPL-2.0 permits relicensing under GPL-2.0 (section 3)",
        ["LGPL-2.1"] = "LGPL-2.1 permits relicensing under GPL-2.0 (section 3)",
        ["LGPL-2.1-only"] = "LGPL-2.1 permits relicensing under GPL-2.0 (section 3)",
        ["LGPL-2.1-or-later"] = "LGPL-2.1 permits relicensing under GPL-2.0 (section 3)",
        ["MIT"] = "permissive (MIT): imposes nothing GPL-2.0 forbids",
        ["X11"] = "permissive (X11): imposes nothing GPL-2.0 forbids",
        ["ISC"] = "permissive (ISC): imposes nothing GPL-2.0 forbids",
        ["Zlib"] = "permissive (Zlib): imposes nothing GPL-2.0 forbids",
        ["BSD-2-Clause"] = "permissive (BSD-2-Clause): imposes nothing GPL-2.0 forbids",
        ["BSD-3-Clause"] = "permissive (BSD-3-Clause): imposes nothing GPL-2.0 forbids",
        ["BSD-3-Clause-Clear"] = "permissive (BSD-3-Clause-Clear): imposes nothing GPL-2.0 forbids",
        ["0BSD"] = "permissive (0BSD)",
        ["Unlicense"] = "public-domain dedication",
        ["CC0-1.0"] = "public-domain dedication",
        ["BSL-1.0"] = "permissive (Boost)",
        ["Linux-OpenIB"] = "permissive (BSD-style OpenIB variant)",
        ["MPL-2.0"] = "MPL-2.0 names GPL-2.0-or-later as a Secondary License (section 3.3)",
    };

    private static readonly Dictionary<string, string> Incompatible = new(StringComparer.Ordinal)
    {
        ["Apache-2.0"] = "Apache-2.0's patent-termination and indemnity terms are further restrictions that GPL-2.0 section 6 forbids",
        ["GPL-3.0"] = "GPL-3.0 and GPL-2.0-only each require the whole work under their own terms",
        ["GPL-3.0-only"] = "GPL-3.0 and GPL-2.0-only each require the whole work under their own terms",
        ["GPL-3.0-or-later"] = "GPL-3.0 or later cannot be used under GPL-2.0-only",
        ["LGPL-3.0"] = "LGPL-3.0 can only be upgraded to GPL-3.0, not to GPL-2.0-only",
        ["LGPL-3.0-only"] = "LGPL-3.0 can only be upgraded to GPL-3.0, not to GPL-2.0-only",
        ["LGPL-3.0-or-later"] = "LGPL-3.0 can only be upgraded to GPL-3.0 or later, not to GPL-2.0-only",
        ["AGPL-3.0-only"] = "AGPL-3.0 is not compatible with GPL-2.0-only",
        ["AGPL-3.0-or-later"] = "AGPL-3.0 is not compatible with GPL-2.0-only",
        ["MPL-1.1"] = "MPL-1.1's file-level copyleft and patent terms conflict with GPL-2.0",
        ["CDDL-1.0"] = "CDDL-1.0's own copyleft and patent terms conflict with GPL-2.0",
        ["EPL-1.0"] = "EPL-1.0's choice-of-law and patent terms conflict with GPL-2.0",
        ["EPL-2.0"] = "EPL-2.0 without GPL-2.0 named as a Secondary License conflicts with GPL-2.0",
        ["MS-PL"] = "MS-PL requires distribution of source under MS-PL only",
        ["SSPL-1.0"] = "SSPL-1.0 is not compatible with GPL-2.0",
        ["BUSL-1.1"] = "BUSL-1.1 restricts use; GPL-2.0 forbids further restrictions",
        ["CC-BY-4.0"] = "CC-BY-4.0 is not meant for code and is not GPL-2.0-compatible",
        ["NOASSERTION"] = "no licence is known: nothing permits combining it with GPL-2.0 code",
        ["NONE"] = "no licence: all rights reserved, nothing permits combining it with GPL-2.0 code",
    };

    /// <summary>Exceptions that make an otherwise incompatible licence combinable with GPL-2.0 code,
    /// with the licence family they apply to.</summary>
    private static readonly Dictionary<string, (string Family, string Why)> RescuingExceptions = new(StringComparer.Ordinal)
    {
        ["LLVM-exception"] = ("Apache-2.0", "the LLVM exception waives Apache-2.0's conflicting terms for combination with GPL-2.0 code"),
        ["GCC-exception-3.1"] = ("GPL-3.0", "the GCC Runtime Library Exception lets the runtime be combined with independent code under any licence"),
    };

    /// <summary>Exceptions this table knows besides the rescuing ones: they keep a GPL licence GPL towards GPL code.</summary>
    private static readonly HashSet<string> GplExceptions =
        ["Linux-syscall-note", "Classpath-exception-2.0", "GCC-exception-2.0", "linking-exception", "Autoconf-exception-2.0", "Bison-exception-2.2",
         "Font-exception-2.0", "OCaml-LGPL-linking-exception", "Qt-GPL-exception-1.0", "Qt-LGPL-exception-1.1", "Universal-FOSS-exception-1.0"];

    /// <summary>The first identifier in <paramref name="e"/> this table cannot judge (neither a licence or exception
    /// it lists nor a LicenseRef-), or null. A deployment names other licences as LicenseRef-NAME.</summary>
    public static string? Unknown(SpdxExpression e) => e switch
    {
        SpdxLicense l => KnownLicence(l) ? null : l.Text,
        SpdxWith w => !KnownLicence(w.License) ? w.License.Text
            : RescuingExceptions.ContainsKey(w.Exception) || GplExceptions.Contains(w.Exception) ? null : w.Exception,
        SpdxAnd a => Unknown(a.Left) ?? Unknown(a.Right),
        SpdxOr o => Unknown(o.Left) ?? Unknown(o.Right),
        _ => e.ToString(),
    };

    private static bool KnownLicence(SpdxLicense l) =>
        l.Id.StartsWith("LicenseRef-", StringComparison.Ordinal) || Compatible.ContainsKey(l.Id) || Incompatible.ContainsKey(l.Id);

    /// <summary>Every licence identifier the table judges.</summary>
    public static IEnumerable<string> KnownLicences => Compatible.Keys.Concat(Incompatible.Keys).Order(StringComparer.Ordinal);

    /// <summary>May code under <paramref name="e"/> be combined with GPL-2.0-only code?</summary>
    public static Verdict WithGpl2Only(SpdxExpression e)
    {
        switch (e)
        {
            case SpdxLicense l:
                return License(l);
            case SpdxWith w:
            {
                var plain = License(w.License);
                if (plain.Compatible)
                    return plain with { Reason = $"{w}: {plain.Reason}" };
                if (RescuingExceptions.TryGetValue(w.Exception, out var rescue) && w.License.Id.StartsWith(rescue.Family, StringComparison.Ordinal))
                    return new Verdict(true, $"{w}: {rescue.Why}");
                return plain with { Reason = $"{w}: {plain.Reason}" };
            }
            case SpdxOr o:
            {
                var left = WithGpl2Only(o.Left);
                if (left.Compatible)
                    return left with { Reason = $"{e}: may be taken under {o.Left} ({left.Reason})" };
                var right = WithGpl2Only(o.Right);
                if (right.Compatible)
                    return right with { Reason = $"{e}: may be taken under {o.Right} ({right.Reason})" };
                return new Verdict(false, $"no alternative of {e} is GPL-2.0-compatible: {left.Reason}; {right.Reason}");
            }
            case SpdxAnd a:
            {
                var left = WithGpl2Only(a.Left);
                if (!left.Compatible)
                    return left;
                var right = WithGpl2Only(a.Right);
                if (!right.Compatible)
                    return right;
                return new Verdict(true, $"{e}: every part is GPL-2.0-compatible");
            }
        }
        return new Verdict(false, $"{e}: not understood");
    }

    private static Verdict License(SpdxLicense l)
    {
        string id = l.OrLater && !l.Id.EndsWith("-or-later", StringComparison.Ordinal) ? l.Id.Replace("-only", "") + "-or-later" : l.Id;
        if (Compatible.TryGetValue(id, out var yes) || Compatible.TryGetValue(l.Id, out yes))
            return new Verdict(true, yes);
        if (Incompatible.TryGetValue(id, out var no) || Incompatible.TryGetValue(l.Id, out no))
            return new Verdict(false, $"{l.Text}: {no}");
        if (l.Id.StartsWith("LicenseRef-", StringComparison.Ordinal))
            return new Verdict(false, $"{l.Text}: a proprietary or otherwise unlisted licence; GPL-2.0 section 2(b) requires the whole combined work under GPL-2.0");
        return new Verdict(false, $"{l.Text}: not known to be GPL-2.0-compatible (review it, or run it in its own process)");
    }
}
