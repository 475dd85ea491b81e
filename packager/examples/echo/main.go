// Command echo is the stand-in upstream of the README walk-through: for each ADDR=NAME argument it
// serves HTTP on ADDR and answers every request with NAME and a newline, so a request through the
// local mesh shows which service it reached.
//
//	go build -o bin/echo ./packager/examples/echo && bin/echo 127.0.0.1:18080=svc-b 127.0.0.1:18081=svc-b-sbx-1
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: echo ADDR=NAME...  (e.g. 127.0.0.1:18080=svc-b); got no argument")
		os.Exit(2)
	}
	errs := make(chan error, len(os.Args)-1)
	for _, arg := range os.Args[1:] {
		addr, name, ok := strings.Cut(arg, "=")
		if !ok || addr == "" || name == "" {
			fmt.Fprintf(os.Stderr, "echo: got %q, expected ADDR=NAME such as 127.0.0.1:18080=svc-b\n", arg)
			os.Exit(2)
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			fmt.Fprintf(os.Stderr, "echo: %v; pick another port (and change the upstream in the mesh file)\n", err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "echo: %s answers on http://%s\n", name, ln.Addr())
		srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			fmt.Fprintln(w, name)
		})}
		go func() { errs <- srv.Serve(ln) }()
	}
	fmt.Fprintln(os.Stderr, "echo:", <-errs)
	os.Exit(1)
}
