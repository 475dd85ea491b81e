package testenv

// GCProbeRequests is how many requests the zero-GC tests send after their warm-up, with GCProbeEnv.
const GCProbeRequests = 50_000

// GCProbeEnv is the VM environment for tests that prove a request path never starts Go's GC: GOGC=1
// makes the module's runtime start a GC cycle once its heap grows by about 1% instead of 100%, so a
// path that allocates even 16 bytes per request starts the GC within GCProbeRequests requests
// (TestGCProbeCatchesASixteenByteAllocation). Each GC cycle reads the clock, which those tests count.
func GCProbeEnv() map[string]string { return map[string]string{"GOGC": "1"} }
