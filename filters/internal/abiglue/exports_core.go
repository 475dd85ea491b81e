//go:build laneway_glue

package internal

// Callbacks every module needs: the ABI marker, context creation, VM/plugin start and context deletion
// (which frees per-stream state). Envoy calls them whatever the filter does.

// ABI 0.2.1 is 0.2.0 plus proxy_get_log_level (every Envoy that loads a standard-Go module speaks it):
// it lets debug and trace logs be skipped, formatting included, when Envoy would drop them anyway.
//
//go:wasmexport proxy_abi_version_0_2_1
func exportABIVersion() {}

//go:wasmexport proxy_on_context_create
func exportOnContextCreate(contextID, parentID uint32) { onContextCreate(contextID, parentID) }

//go:wasmexport proxy_on_vm_start
func exportOnVMStart(rootID, vmConfigSize uint32) uint32 {
	return b2u(bool(proxyOnVMStart(rootID, int(vmConfigSize))))
}

//go:wasmexport proxy_on_configure
func exportOnConfigure(rootID, pluginConfigSize uint32) uint32 {
	return b2u(bool(proxyOnConfigure(rootID, int(pluginConfigSize))))
}

//go:wasmexport proxy_on_delete
func exportOnDelete(contextID uint32) { onDelete(contextID) }

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}
