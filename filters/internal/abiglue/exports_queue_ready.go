//go:build laneway_glue && (laneway_cb_all || laneway_cb_queue_ready)

package internal

//go:wasmexport proxy_on_queue_ready
func exportOnQueueReady(rootID, queueID uint32) { proxyOnQueueReady(rootID, queueID) }
