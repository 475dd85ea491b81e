//go:build laneway_glue && (laneway_cb_all || laneway_cb_tick)

package internal

//go:wasmexport proxy_on_tick
func exportOnTick(rootID uint32) { proxyOnTick(rootID) }
