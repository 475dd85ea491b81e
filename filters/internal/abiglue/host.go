//go:build laneway_glue

package internal

import "unsafe"

// The proxy-wasm ABI passes every pointer and length as an i32 and every out-parameter as a pointer to a
// 4-byte slot (8 bytes for *_u64). Go's int and pointers are 64-bit in memory under GOARCH=wasm, so every
// value crosses this boundary as uint32 and out-slots are uint32 variables, never *int.

//go:wasmimport env proxy_log
func abiLog(level uint32, msg unsafe.Pointer, msgLen uint32) uint32

//go:wasmimport env proxy_get_log_level
func abiGetLogLevel(outLevel *uint32) uint32

//go:wasmimport env proxy_set_property
func abiSetProperty(path unsafe.Pointer, pathLen uint32, val unsafe.Pointer, valLen uint32) uint32

//go:wasmimport env proxy_get_property
func abiGetProperty(path unsafe.Pointer, pathLen uint32, outPtr *uint32, outLen *uint32) uint32

//go:wasmimport env proxy_send_local_response
func abiSendLocalResponse(code uint32, details unsafe.Pointer, detailsLen uint32, body unsafe.Pointer, bodyLen uint32, pairs unsafe.Pointer, pairsLen uint32, grpcStatus int32) uint32

//go:wasmimport env proxy_get_shared_data
func abiGetSharedData(key unsafe.Pointer, keyLen uint32, outPtr *uint32, outLen *uint32, outCas *uint32) uint32

//go:wasmimport env proxy_set_shared_data
func abiSetSharedData(key unsafe.Pointer, keyLen uint32, val unsafe.Pointer, valLen uint32, cas uint32) uint32

//go:wasmimport env proxy_register_shared_queue
func abiRegisterSharedQueue(name unsafe.Pointer, nameLen uint32, outID *uint32) uint32

//go:wasmimport env proxy_resolve_shared_queue
func abiResolveSharedQueue(vmID unsafe.Pointer, vmIDLen uint32, name unsafe.Pointer, nameLen uint32, outID *uint32) uint32

//go:wasmimport env proxy_dequeue_shared_queue
func abiDequeueSharedQueue(id uint32, outPtr *uint32, outLen *uint32) uint32

//go:wasmimport env proxy_enqueue_shared_queue
func abiEnqueueSharedQueue(id uint32, val unsafe.Pointer, valLen uint32) uint32

//go:wasmimport env proxy_get_header_map_value
func abiGetHeaderMapValue(mapType uint32, key unsafe.Pointer, keyLen uint32, outPtr *uint32, outLen *uint32) uint32

//go:wasmimport env proxy_add_header_map_value
func abiAddHeaderMapValue(mapType uint32, key unsafe.Pointer, keyLen uint32, val unsafe.Pointer, valLen uint32) uint32

//go:wasmimport env proxy_replace_header_map_value
func abiReplaceHeaderMapValue(mapType uint32, key unsafe.Pointer, keyLen uint32, val unsafe.Pointer, valLen uint32) uint32

//go:wasmimport env proxy_remove_header_map_value
func abiRemoveHeaderMapValue(mapType uint32, key unsafe.Pointer, keyLen uint32) uint32

//go:wasmimport env proxy_get_header_map_pairs
func abiGetHeaderMapPairs(mapType uint32, outPtr *uint32, outLen *uint32) uint32

//go:wasmimport env proxy_set_header_map_pairs
func abiSetHeaderMapPairs(mapType uint32, pairs unsafe.Pointer, pairsLen uint32) uint32

//go:wasmimport env proxy_continue_stream
func abiContinueStream(streamType uint32) uint32

//go:wasmimport env proxy_close_stream
func abiCloseStream(streamType uint32) uint32

//go:wasmimport env proxy_get_buffer_bytes
func abiGetBufferBytes(bufferType uint32, start uint32, maxSize uint32, outPtr *uint32, outLen *uint32) uint32

//go:wasmimport env proxy_set_buffer_bytes
func abiSetBufferBytes(bufferType uint32, start uint32, size uint32, data unsafe.Pointer, dataLen uint32) uint32

//go:wasmimport env proxy_http_call
func abiHTTPCall(upstream unsafe.Pointer, upstreamLen uint32, headers unsafe.Pointer, headersLen uint32, body unsafe.Pointer, bodyLen uint32, trailers unsafe.Pointer, trailersLen uint32, timeoutMillis uint32, outToken *uint32) uint32

//go:wasmimport env proxy_call_foreign_function
func abiCallForeignFunction(name unsafe.Pointer, nameLen uint32, args unsafe.Pointer, argsLen uint32, outPtr *uint32, outLen *uint32) uint32

//go:wasmimport env proxy_set_tick_period_milliseconds
func abiSetTickPeriodMilliseconds(period uint32) uint32

//go:wasmimport env proxy_set_effective_context
func abiSetEffectiveContext(contextID uint32) uint32

//go:wasmimport env proxy_done
func abiDone() uint32

//go:wasmimport env proxy_define_metric
func abiDefineMetric(metricType uint32, name unsafe.Pointer, nameLen uint32, outID *uint32) uint32

//go:wasmimport env proxy_increment_metric
func abiIncrementMetric(id uint32, offset int64) uint32

//go:wasmimport env proxy_record_metric
func abiRecordMetric(id uint32, value uint64) uint32

//go:wasmimport env proxy_get_metric
func abiGetMetric(id uint32, outValue *uint64) uint32

// abiHost implements the SDK's ProxyWasmHost on top of the real ABI imports.
type abiHost struct{}

var _ ProxyWasmHost = abiHost{}

// init only assigns a variable: Envoy forbids host calls (other than logging) during _initialize.
func init() { currentHost = abiHost{} }

func ptr(b *byte) unsafe.Pointer { return unsafe.Pointer(b) }

// The host's out-parameters land in these package variables, never in locals: a local whose address goes to
// a //go:wasmimport function escapes to the heap (an allocation per host call), and a stack slot marked
// //go:noescape would be unsafe, because a re-entrant proxy_on_memory_allocate runs on the same goroutine
// and may grow (move) its stack while the host still holds the slot's old address. Sharing one set is safe:
// a VM's callbacks never run concurrently, and the host writes the slots as the last step of a call, after
// any re-entrant proxy_on_memory_allocate, so nothing can overwrite them before the caller reads them.
var (
	outPtr, outLen, outU32 uint32
	outU64                 uint64
)

// bytesSlots clears and returns the (ptr, len) out-slots: a host that writes nothing leaves "no data".
func bytesSlots() (*uint32, *uint32) {
	outPtr, outLen = 0, 0
	return &outPtr, &outLen
}

// u32Slot clears and returns the 32-bit out-slot.
func u32Slot() *uint32 {
	outU32 = 0
	return &outU32
}

// received turns the host-filled (ptr, len) out-slots into the SDK's out-parameters. The bytes live in a
// buffer proxy_on_memory_allocate handed out; it stays referenced from allocKeep until the SDK's slice or
// string aliases it, after which releaseAllocs drops our reference.
func received(outData **byte, outSize *int) {
	if p, n := outPtr, outLen; p == 0 || n == 0 {
		*outData, *outSize = nil, 0
	} else {
		*outData, *outSize = (*byte)(unsafe.Pointer(uintptr(p))), int(n)
	}
	releaseAllocs()
}

// LogLevelEnabled reports whether the host records logs of level: it asks the host every time (one call that
// does not re-enter Go), because Envoy's level can change at run time. If the host cannot say, it logs.
func LogLevelEnabled(level LogLevel) bool {
	if abiGetLogLevel(u32Slot()) != uint32(StatusOK) {
		return true
	}
	return level >= LogLevel(outU32)
}

func (abiHost) ProxyLog(logLevel LogLevel, messageData *byte, messageSize int) Status {
	return Status(abiLog(uint32(logLevel), ptr(messageData), uint32(messageSize)))
}

func (abiHost) ProxySetProperty(pathData *byte, pathSize int, valueData *byte, valueSize int) Status {
	return Status(abiSetProperty(ptr(pathData), uint32(pathSize), ptr(valueData), uint32(valueSize)))
}

func (abiHost) ProxyGetProperty(pathData *byte, pathSize int, returnValueData **byte, returnValueSize *int) Status {
	op, ol := bytesSlots()
	st := abiGetProperty(ptr(pathData), uint32(pathSize), op, ol)
	received(returnValueData, returnValueSize)
	return Status(st)
}

func (abiHost) ProxySendLocalResponse(statusCode uint32, statusCodeDetailData *byte, statusCodeDetailsSize int, bodyData *byte, bodySize int, headersData *byte, headersSize int, grpcStatus int32) Status {
	return Status(abiSendLocalResponse(statusCode, ptr(statusCodeDetailData), uint32(statusCodeDetailsSize),
		ptr(bodyData), uint32(bodySize), ptr(headersData), uint32(headersSize), grpcStatus))
}

func (abiHost) ProxyGetSharedData(keyData *byte, keySize int, returnValueData **byte, returnValueSize *int, returnCas *uint32) Status {
	op, ol := bytesSlots()
	st := abiGetSharedData(ptr(keyData), uint32(keySize), op, ol, u32Slot())
	received(returnValueData, returnValueSize)
	*returnCas = outU32
	return Status(st)
}

func (abiHost) ProxySetSharedData(keyData *byte, keySize int, valueData *byte, valueSize int, cas uint32) Status {
	return Status(abiSetSharedData(ptr(keyData), uint32(keySize), ptr(valueData), uint32(valueSize), cas))
}

func (abiHost) ProxyRegisterSharedQueue(nameData *byte, nameSize int, returnID *uint32) Status {
	st := abiRegisterSharedQueue(ptr(nameData), uint32(nameSize), u32Slot())
	*returnID = outU32
	return Status(st)
}

func (abiHost) ProxyResolveSharedQueue(vmIDData *byte, vmIDSize int, nameData *byte, nameSize int, returnID *uint32) Status {
	st := abiResolveSharedQueue(ptr(vmIDData), uint32(vmIDSize), ptr(nameData), uint32(nameSize), u32Slot())
	*returnID = outU32
	return Status(st)
}

func (abiHost) ProxyDequeueSharedQueue(queueID uint32, returnValueData **byte, returnValueSize *int) Status {
	op, ol := bytesSlots()
	st := abiDequeueSharedQueue(queueID, op, ol)
	received(returnValueData, returnValueSize)
	return Status(st)
}

func (abiHost) ProxyEnqueueSharedQueue(queueID uint32, valueData *byte, valueSize int) Status {
	return Status(abiEnqueueSharedQueue(queueID, ptr(valueData), uint32(valueSize)))
}

func (abiHost) ProxyGetHeaderMapValue(mapType MapType, keyData *byte, keySize int, returnValueData **byte, returnValueSize *int) Status {
	op, ol := bytesSlots()
	st := abiGetHeaderMapValue(uint32(mapType), ptr(keyData), uint32(keySize), op, ol)
	received(returnValueData, returnValueSize)
	return Status(st)
}

func (abiHost) ProxyAddHeaderMapValue(mapType MapType, keyData *byte, keySize int, valueData *byte, valueSize int) Status {
	return Status(abiAddHeaderMapValue(uint32(mapType), ptr(keyData), uint32(keySize), ptr(valueData), uint32(valueSize)))
}

func (abiHost) ProxyReplaceHeaderMapValue(mapType MapType, keyData *byte, keySize int, valueData *byte, valueSize int) Status {
	return Status(abiReplaceHeaderMapValue(uint32(mapType), ptr(keyData), uint32(keySize), ptr(valueData), uint32(valueSize)))
}

func (abiHost) ProxyContinueStream(streamType StreamType) Status {
	return Status(abiContinueStream(uint32(streamType)))
}

func (abiHost) ProxyCloseStream(streamType StreamType) Status {
	return Status(abiCloseStream(uint32(streamType)))
}

func (abiHost) ProxyRemoveHeaderMapValue(mapType MapType, keyData *byte, keySize int) Status {
	return Status(abiRemoveHeaderMapValue(uint32(mapType), ptr(keyData), uint32(keySize)))
}

func (abiHost) ProxyGetHeaderMapPairs(mapType MapType, returnValueData **byte, returnValueSize *int) Status {
	op, ol := bytesSlots()
	st := abiGetHeaderMapPairs(uint32(mapType), op, ol)
	received(returnValueData, returnValueSize)
	return Status(st)
}

func (abiHost) ProxySetHeaderMapPairs(mapType MapType, mapData *byte, mapSize int) Status {
	return Status(abiSetHeaderMapPairs(uint32(mapType), ptr(mapData), uint32(mapSize)))
}

func (abiHost) ProxyGetBufferBytes(bufferType BufferType, start int, maxSize int, returnBufferData **byte, returnBufferSize *int) Status {
	op, ol := bytesSlots()
	st := abiGetBufferBytes(uint32(bufferType), uint32(start), uint32(maxSize), op, ol)
	received(returnBufferData, returnBufferSize)
	return Status(st)
}

func (abiHost) ProxySetBufferBytes(bufferType BufferType, start int, maxSize int, bufferData *byte, bufferSize int) Status {
	return Status(abiSetBufferBytes(uint32(bufferType), uint32(start), uint32(maxSize), ptr(bufferData), uint32(bufferSize)))
}

func (abiHost) ProxyHttpCall(upstreamData *byte, upstreamSize int, headerData *byte, headerSize int, bodyData *byte, bodySize int, trailersData *byte, trailersSize int, timeout uint32, calloutIDPtr *uint32) Status {
	st := abiHTTPCall(ptr(upstreamData), uint32(upstreamSize), ptr(headerData), uint32(headerSize),
		ptr(bodyData), uint32(bodySize), ptr(trailersData), uint32(trailersSize), timeout, u32Slot())
	*calloutIDPtr = outU32
	return Status(st)
}

func (abiHost) ProxyCallForeignFunction(funcNamePtr *byte, funcNameSize int, paramPtr *byte, paramSize int, returnData **byte, returnSize *int) Status {
	op, ol := bytesSlots()
	st := abiCallForeignFunction(ptr(funcNamePtr), uint32(funcNameSize), ptr(paramPtr), uint32(paramSize), op, ol)
	received(returnData, returnSize)
	return Status(st)
}

func (abiHost) ProxySetTickPeriodMilliseconds(period uint32) Status {
	return Status(abiSetTickPeriodMilliseconds(period))
}

func (abiHost) ProxySetEffectiveContext(contextID uint32) Status {
	return Status(abiSetEffectiveContext(contextID))
}

func (abiHost) ProxyDone() Status { return Status(abiDone()) }

func (abiHost) ProxyDefineMetric(metricType MetricType, metricNameData *byte, metricNameSize int, returnMetricIDPtr *uint32) Status {
	st := abiDefineMetric(uint32(metricType), ptr(metricNameData), uint32(metricNameSize), u32Slot())
	*returnMetricIDPtr = outU32
	return Status(st)
}

func (abiHost) ProxyIncrementMetric(metricID uint32, offset int64) Status {
	return Status(abiIncrementMetric(metricID, offset))
}

func (abiHost) ProxyRecordMetric(metricID uint32, value uint64) Status {
	return Status(abiRecordMetric(metricID, value))
}

func (abiHost) ProxyGetMetric(metricID uint32, returnMetricValue *uint64) Status {
	outU64 = 0
	st := abiGetMetric(metricID, &outU64)
	*returnMetricValue = outU64
	return Status(st)
}
