//go:build laneway_glue && (laneway_cb_all || laneway_cb_log)

package internal

// proxy_on_log is where the SDK calls OnHttpStreamDone / OnStreamDone.
//
//go:wasmexport proxy_on_log
func exportOnLog(contextID uint32) {
	if ctx := streamContext(contextID); ctx != nil {
		currentState.setActiveContextID(contextID)
		ctx.OnHttpStreamDone()
		return
	}
	proxyOnLog(contextID)
}
