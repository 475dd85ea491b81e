package testenv

import (
	"crypto/rand"
	"encoding/binary"
	"sort"
	"strconv"
	"strings"
)

// wasiImpls returns Envoy's WASI stubs for a profile (cpp-host exports.cc).
func wasiImpls(p Profile) map[string]hostFunc {
	stdFD := func() hostFunc {
		return func(vm *VM, s []uint64) {
			if fd := u32(s[0]); fd == 1 || fd == 2 {
				ret(s, wasiOK)
				return
			}
			ret(s, wasiBADF)
		}
	}
	constant := func(errno uint32) hostFunc { return func(vm *VM, s []uint64) { ret(s, errno) } }
	m := map[string]hostFunc{
		"fd_write":  wasiFdWrite(3),
		"fd_pwrite": wasiFdWrite(4),
		"environ_get": func(vm *VM, s []uint64) {
			envp, buf := u32(s[0]), u32(s[1])
			for _, kv := range vm.environ() {
				if !vm.mem.WriteUint32Le(envp, buf) || !vm.mem.WriteString(buf, kv) || !vm.mem.WriteByte(buf+uint32(len(kv)), 0) {
					ret(s, wasiINVAL)
					return
				}
				envp += 4
				buf += uint32(len(kv)) + 1
			}
			ret(s, wasiOK)
		},
		"environ_sizes_get": func(vm *VM, s []uint64) {
			env := vm.environ()
			size := 0
			for _, kv := range env {
				size += len(kv) + 1
			}
			if !vm.mem.WriteUint32Le(u32(s[0]), uint32(len(env))) || !vm.mem.WriteUint32Le(u32(s[1]), uint32(size)) {
				ret(s, wasiINVAL)
				return
			}
			ret(s, wasiOK)
		},
		"args_sizes_get": func(vm *VM, s []uint64) {
			if !vm.mem.WriteUint32Le(u32(s[0]), 0) || !vm.mem.WriteUint32Le(u32(s[1]), 0) {
				ret(s, wasiINVAL)
				return
			}
			ret(s, wasiOK)
		},
		"args_get": constant(wasiOK),
		"clock_time_get": func(vm *VM, s []uint64) {
			var t int64
			switch u32(s[0]) {
			case 0:
				t = vm.wallNow()
			case 1:
				t = vm.monoNow()
			default:
				ret(s, wasiNOTSUP)
				return
			}
			if !vm.mem.WriteUint64Le(u32(s[2]), uint64(t)) {
				ret(s, wasiINVAL)
				return
			}
			ret(s, wasiOK)
		},
		"clock_res_get": func(vm *VM, s []uint64) {
			if !vm.mem.WriteUint64Le(u32(s[1]), 1) {
				ret(s, wasiINVAL)
				return
			}
			ret(s, wasiOK)
		},
		"random_get": func(vm *VM, s []uint64) {
			n := u32(s[1])
			if n > maxRandomBytes {
				ret(s, wasiINVAL)
				return
			}
			b, ok := vm.mem.Read(u32(s[0]), n)
			if !ok {
				ret(s, wasiINVAL)
				return
			}
			_, _ = rand.Read(b)
			ret(s, wasiOK)
		},
		"fd_fdstat_get": func(vm *VM, s []uint64) {
			fd := u32(s[0])
			if fd != 1 && fd != 2 {
				ret(s, wasiBADF)
				return
			}
			var st [24]byte // filetype 0 (unknown), flags 0, rights_base FD_WRITE, inheriting 0
			binary.LittleEndian.PutUint64(st[8:], 1<<6)
			if !vm.mem.Write(u32(s[1]), st[:]) {
				ret(s, wasiINVAL)
				return
			}
			ret(s, wasiOK)
		},
		"sched_yield": constant(wasiOK),
		"poll_oneoff": func(vm *VM, s []uint64) {
			if vm.opts.Profile == Envoy133 {
				ret(s, wasiNOSYS)
				return
			}
			if !vm.mem.WriteUint32Le(u32(s[3]), 0) {
				ret(s, wasiINVAL)
				return
			}
			ret(s, wasiOK)
		},
		"fd_close": func(vm *VM, s []uint64) {
			vm.logf(LogWarn, "wasi fd_close("+strconv.Itoa(int(u32(s[0])))+")")
			ret(s, wasiOK)
		},
		"fd_seek": func(vm *VM, s []uint64) {
			vm.logf(LogWarn, "wasi fd_seek("+strconv.Itoa(int(u32(s[0])))+")")
			ret(s, wasiOK)
		},
		"fd_advise":             constant(wasiOK),
		"fd_allocate":           stdFD(),
		"fd_datasync":           stdFD(),
		"fd_sync":               stdFD(),
		"fd_fdstat_set_rights":  stdFD(),
		"fd_filestat_set_size":  stdFD(),
		"fd_filestat_set_times": stdFD(),
		"fd_tell": func(vm *VM, s []uint64) {
			if !vm.mem.WriteUint64Le(u32(s[1]), 0) {
				ret(s, wasiINVAL)
				return
			}
			ret(s, wasiOK)
		},
		"proc_exit": func(vm *VM, s []uint64) {
			vm.logf(LogError, "wasi proc_exit("+strconv.Itoa(int(u32(s[0])))+") returns without terminating, as in Envoy")
		},
		"fd_fdstat_set_flags": constant(wasiNOSYS),
		"fd_read":             constant(wasiNOSYS),
		"fd_pread":            constant(wasiNOSYS),
		"fd_prestat_dir_name": constant(wasiNOSYS),
		"fd_prestat_get":      constant(wasiBADF),
		"fd_filestat_get":     constant(wasiBADF),
		"path_open":           constant(wasiNOENT),
		"fd_readdir":          constant(wasiNOTDIR),
		"fd_renumber":         constant(wasiNOTSUP),
	}
	for _, n := range []string{"path_create_directory", "path_filestat_get", "path_filestat_set_times", "path_link",
		"path_readlink", "path_remove_directory", "path_rename", "path_symlink", "path_unlink_file",
		"sock_accept", "sock_recv", "sock_send", "sock_shutdown"} {
		m[n] = constant(wasiNOTSUP)
	}
	return m
}

// fdWrite logs fd 1 at info and fd 2 at error, one entry per line. Envoy logs each
// fd_write call with one trailing newline stripped; Go's runtime writes a panic in many
// small pieces, so testenv joins them into lines (flushed when the callback returns).
func (vm *VM) fdWrite(fd uint32, s string) {
	vm.fdBuf[fd] += s
	for {
		i := strings.IndexByte(vm.fdBuf[fd], '\n')
		if i < 0 {
			return
		}
		vm.logf(fdLevel(fd), vm.fdBuf[fd][:i])
		vm.fdBuf[fd] = vm.fdBuf[fd][i+1:]
	}
}

// flushFD logs any unterminated fd 1/2 output.
func (vm *VM) flushFD() {
	for fd := uint32(1); fd <= 2; fd++ {
		if vm.fdBuf[fd] != "" {
			vm.logf(fdLevel(fd), vm.fdBuf[fd])
			vm.fdBuf[fd] = ""
		}
	}
}

func fdLevel(fd uint32) LogLevel {
	if fd == 2 {
		return LogError
	}
	return LogInfo
}

// wasiFdWrite logs fd 1 at info and fd 2 at error, stripping one trailing newline;
// nwrittenArg is the index of the nwritten out-param (3 for fd_write, 4 for fd_pwrite).
func wasiFdWrite(nwrittenArg int) hostFunc {
	return func(vm *VM, s []uint64) { fdWrite(vm, s, nwrittenArg) }
}

func fdWrite(vm *VM, s []uint64, nwrittenArg int) {
	fd, iovs, n := u32(s[0]), u32(s[1]), u32(s[2])
	if fd != 1 && fd != 2 {
		ret(s, wasiBADF)
		return
	}
	var b strings.Builder
	for i := uint32(0); i < n; i++ {
		p, ok1 := vm.mem.ReadUint32Le(iovs + 8*i)
		l, ok2 := vm.mem.ReadUint32Le(iovs + 8*i + 4)
		data, ok3 := vm.mem.Read(p, l)
		if !ok1 || !ok2 || !ok3 {
			ret(s, wasiINVAL)
			return
		}
		b.Write(data)
	}
	nwritten := uint32(b.Len())
	vm.fdWrite(fd, b.String())
	if !vm.mem.WriteUint32Le(u32(s[nwrittenArg]), nwritten) {
		ret(s, wasiINVAL)
		return
	}
	ret(s, wasiOK)
}

func (vm *VM) environ() []string {
	keys := make([]string, 0, len(vm.opts.Env))
	for k := range vm.opts.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k + "=" + vm.opts.Env[k]
	}
	return out
}
