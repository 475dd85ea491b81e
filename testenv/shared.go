package testenv

import "sync"

// sharedState is process-wide state shared by the VMs of one Runtime, as by Envoy's
// workers: shared data and queues keyed by vm_id, metrics keyed by name.
type sharedState struct {
	mu      sync.Mutex
	data    map[string]map[string]*sharedValue
	cas     uint32
	queues  map[queueKey]*queue
	byToken map[uint32]*queue
	token   uint32
	metrics map[string]*metric
}

type sharedValue struct {
	value []byte
	cas   uint32
}

type queueKey struct{ vmID, name string }

type queue struct {
	token uint32
	items [][]byte
	owner *VM
}

type metric struct {
	name    string
	typ     MetricType
	value   int64
	samples []uint64
}

func newSharedState() *sharedState {
	return &sharedState{
		data: map[string]map[string]*sharedValue{}, queues: map[queueKey]*queue{},
		byToken: map[uint32]*queue{}, metrics: map[string]*metric{},
	}
}

func (s *sharedState) getData(vmID, key string) ([]byte, uint32, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.data[vmID][key]
	if !ok {
		return nil, 0, false
	}
	return v.value, v.cas, true
}

func (s *sharedState) setData(vmID, key string, value []byte, cas uint32) uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.data[vmID]
	if m == nil {
		m = map[string]*sharedValue{}
		s.data[vmID] = m
	}
	cur, ok := m[key]
	if ok && cas != 0 && cur.cas != cas {
		return stCasMismatch
	}
	s.cas++
	if s.cas == 0 {
		s.cas++
	}
	m[key] = &sharedValue{value: value, cas: s.cas}
	return stOK
}

func (s *sharedState) register(vm *VM, name string) uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := queueKey{vm.opts.VMID, name}
	q, ok := s.queues[k]
	if !ok {
		s.token++
		q = &queue{token: s.token}
		s.queues[k] = q
		s.byToken[q.token] = q
	}
	q.owner = vm
	return q.token
}

func (s *sharedState) resolve(vmID, name string) (uint32, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.queues[queueKey{vmID, name}]
	if !ok {
		return 0, false
	}
	return q.token, true
}

// enqueue appends an item and returns the owner to notify.
func (s *sharedState) enqueue(token uint32, item []byte) (*VM, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.byToken[token]
	if !ok {
		return nil, false
	}
	q.items = append(q.items, item)
	return q.owner, true
}

func (s *sharedState) dequeue(token uint32) ([]byte, uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.byToken[token]
	if !ok {
		return nil, stNotFound
	}
	if len(q.items) == 0 {
		return nil, stEmpty
	}
	it := q.items[0]
	q.items[0] = nil
	q.items = q.items[1:]
	return it, stOK
}

func (s *sharedState) forgetVM(vm *VM) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, q := range s.queues {
		if q.owner == vm {
			q.owner = nil
		}
	}
}

func (s *sharedState) defineMetric(name string, t MetricType) *metric {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.metrics[name]
	if !ok {
		m = &metric{name: name, typ: t}
		s.metrics[name] = m
	}
	return m
}

func (s *sharedState) updateMetric(f func()) {
	s.mu.Lock()
	f()
	s.mu.Unlock()
}

func (s *sharedState) metric(name string) (Metric, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.metrics[name]
	if !ok {
		return Metric{}, false
	}
	return Metric{Type: m.typ, Value: m.value, Samples: append([]uint64(nil), m.samples...)}, true
}
