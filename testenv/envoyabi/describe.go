package envoyabi

import (
	"sort"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// Describe extracts what Check needs from a compiled module: its function imports and exports with their
// signatures (exports sorted by name) and its memory imports as other imports.
func Describe(cm wazero.CompiledModule) Module {
	var m Module
	for _, f := range cm.ImportedFunctions() {
		mod, name, _ := f.Import()
		m.Imports = append(m.Imports, Import{Module: mod, Name: name, Sig: signatureOf(f)})
	}
	for _, mem := range cm.ImportedMemories() {
		mod, name, _ := mem.Import()
		m.OtherImports = append(m.OtherImports, mod+"."+name+" (memory)")
	}
	for name, f := range cm.ExportedFunctions() {
		m.Exports = append(m.Exports, Export{Name: name, Sig: signatureOf(f)})
	}
	sort.Slice(m.Exports, func(i, j int) bool { return m.Exports[i].Name < m.Exports[j].Name })
	return m
}

func signatureOf(f api.FunctionDefinition) Signature {
	var s Signature
	for _, t := range f.ParamTypes() {
		s.Params = append(s.Params, ValueType(t))
	}
	for _, t := range f.ResultTypes() {
		s.Results = append(s.Results, ValueType(t))
	}
	return s
}
