//go:build laneway_glue

package internal

import "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

// The SDK keeps every HTTP stream's context in Go maps (httpContexts, contextIDToRootID) and looks its root
// up in a third (pluginContexts): about ten map operations per stream, each a chain of runtime calls
// (hashing, probing, tombstones) that costs more in Wasm than everything else the no-op stream does in Go.
// A profile of the no-op module (guest calls per callback, see RATIONALE.md) put two thirds of its time
// over an empty Go export there. The glue therefore keeps live HTTP streams in its own table and serves
// the stream callbacks from it; the SDK's own paths still handle root and TCP contexts, and the SDK's
// httpContexts map simply stays empty. The entry also holds the stream's root id, which the SDK looked up
// in contextIDToRootID when a stream dispatches an HTTP call and when the call's answer arrives; the SDK
// copy asks contextRootID instead (packager/wasmbuild patches those two reads).

// lastRoot caches the last stream's plugin context (Envoy gives one VM one root context per plugin).
var lastRoot struct {
	id    uint32
	state *pluginContextState
}

// contextRootID is the root context id of a live context (a stream's from the table, any other's from the
// SDK's map) and whether the context is live; the SDK copy calls it where it read contextIDToRootID.
func contextRootID(id uint32) (uint32, bool) {
	if e := stream(id); e.ctx != nil {
		return e.root, true
	}
	r, ok := currentState.contextIDToRootID[id]
	return r, ok
}

// contextRoot is contextRootID's id alone (0 for a context that is not live).
func contextRoot(id uint32) uint32 {
	r, _ := contextRootID(id)
	return r
}

// rootState returns the plugin context of a new stream, nil when parentID is not one.
func rootState(parentID uint32) *pluginContextState {
	if parentID == lastRoot.id && lastRoot.state != nil {
		return lastRoot.state
	}
	r := currentState.pluginContexts[parentID]
	if r != nil {
		lastRoot.id, lastRoot.state = parentID, r
	}
	return r
}

// onContextCreate is proxy_on_context_create: HTTP streams go to the glue's table, root and TCP contexts
// to the SDK (as the SDK does: HTTP first, then TCP, with the same panics on impossible ids).
func onContextCreate(contextID, parentID uint32) {
	if parentID == 0 {
		proxyOnContextCreate(contextID, parentID)
		return
	}
	root := rootState(parentID)
	if root == nil {
		panic("invalid plugin context id")
	}
	if streamContext(contextID) != nil {
		panic("context id duplicated")
	}
	if skipResponseHeaders {
		quietNext = false
	}
	ctx := root.context.NewHttpContext(contextID)
	quiet := false
	if skipResponseHeaders {
		quiet, quietNext = quietNext, false
	}
	if ctx != nil {
		streamAdd(contextID, parentID, ctx, quiet)
		return
	}
	if !currentState.createTcpContext(contextID, parentID) {
		panic("invalid context id on proxy_on_context_create")
	}
}

// quietNext is set by SkipResponseHeaders during a NewHttpContext, for the stream being created.
var quietNext bool

// SkipResponseHeaders, called from a NewHttpContext, makes the glue answer the response headers of the stream
// being created with ActionContinue itself, without calling the context's OnHttpResponseHeaders: a filter
// whose streams share a context that waits for nothing on the response spares each stream the call (about
// 200 Wasm instructions). ReplaceStreamContext undoes it. Anywhere else it does nothing.
func SkipResponseHeaders() { quietNext = true }

// onDelete is proxy_on_delete: a stream leaves the table (and goes to the deleted-context hook); anything
// else is the SDK's.
func onDelete(contextID uint32) {
	if ctx := streamRemove(contextID); ctx != nil {
		if httpContextDeleted != nil {
			httpContextDeleted(ctx)
		}
		return
	}
	if contextID == lastRoot.id {
		lastRoot.id, lastRoot.state = 0, nil
	}
	proxyOnDelete(contextID)
}

// httpStream returns the stream's context for a stream callback and makes it the active context, as the
// SDK's callbacks do; an unknown id panics with the SDK's message for that callback.
func httpStream(contextID uint32, callback string) types.HttpContext {
	ctx := streamContext(contextID)
	if ctx == nil {
		panic("invalid context on proxy_on_" + callback)
	}
	currentState.setActiveContextID(contextID)
	return ctx
}

// ReplaceStreamContext makes ctx the context of the stream whose callback is running: its later callbacks and
// its deletion (the deleted-context hook included) go to ctx, and the context it had is dropped. A filter whose
// streams rarely need state of their own can so share one context and give a stream its own only when it
// turns out to need one. False (nothing changed) outside a stream's callback or for a nil ctx.
func ReplaceStreamContext(ctx types.HttpContext) bool {
	return streamReplace(currentState.activeContextID, ctx)
}
