// SPDX-License-Identifier: MIT
// Generator side (runs inside the compiler). The incremental generator: every AdditionalFiles item
// named *.protocol.json is a protocol schema; its message types, parsers and writers are added to the
// compilation; every *.wire.json is a binary protocol, whose structs and decoders are added likewise.
// A schema that does not load is an error (LSP0001) naming the place in the file.
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace LinuxShim.ProtocolGenerator;

[Generator(LanguageNames.CSharp)]
public sealed class ProtocolGenerator : IIncrementalGenerator
{
    private static readonly DiagnosticDescriptor BadSchema = new(
        "LSP0001", "Protocol schema is invalid", "{0}: {1}", "LinuxShim.Protocol", DiagnosticSeverity.Error, isEnabledByDefault: true);

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var schemas = context.AdditionalTextsProvider
            .Where(f => f.Path.EndsWith(".protocol.json", System.StringComparison.OrdinalIgnoreCase))
            .Select((f, ct) => (Path: f.Path, Text: f.GetText(ct)?.ToString() ?? ""));
        context.RegisterSourceOutput(schemas, static (spc, schema) =>
        {
            string file = Path.GetFileName(schema.Path);
            ProtocolSchema model;
            try
            {
                model = SchemaLoader.Load(schema.Text);
            }
            catch (SchemaJsonException e)
            {
                spc.ReportDiagnostic(Diagnostic.Create(BadSchema, Location.None, file, e.Message));
                return;
            }
            foreach (var (name, source) in new Emitter(model, file).Files().ToList())
                spc.AddSource(name, SourceText.From(source, Encoding.UTF8));
        });

        var wires = context.AdditionalTextsProvider
            .Where(f => f.Path.EndsWith(".wire.json", System.StringComparison.OrdinalIgnoreCase))
            .Select((f, ct) => (Path: f.Path, Text: f.GetText(ct)?.ToString() ?? ""));
        context.RegisterSourceOutput(wires, static (spc, schema) =>
        {
            string file = Path.GetFileName(schema.Path);
            WireSchema model;
            try
            {
                model = WireSchemaLoader.Load(schema.Text);
            }
            catch (SchemaJsonException e)
            {
                spc.ReportDiagnostic(Diagnostic.Create(BadSchema, Location.None, file, e.Message));
                return;
            }
            foreach (var (name, source) in new WireEmitter(model, file).Files().ToList())
                spc.AddSource(name, SourceText.From(source, Encoding.UTF8));
        });
    }
}
