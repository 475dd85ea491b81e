package cli

import (
	"encoding/json"
	"fmt"
	"io"

	"sigs.k8s.io/yaml"

	"github.com/laneway/laneway/packager/istiores"
)

// printer is where every command's output goes: results on stdout in the --format chosen (a report as
// text, JSON or YAML; Kubernetes resources as YAML documents or JSON), progress and logs on stderr.
type printer struct {
	out, err io.Writer
	format   string
}

// newPrinter returns the printer for a command's streams and its --format value ("" for a command
// without --format: text).
func newPrinter(s Streams, format string) *printer {
	if format == "" {
		format = "text"
	}
	return &printer{out: s.Out, err: s.Err, format: format}
}

// progress writes one progress line on stderr.
func (p *printer) progress(format string, args ...any) {
	fmt.Fprintf(p.err, format+"\n", args...)
}

// logs is the stderr stream for the progress and logs other code writes itself (the Go toolchain, the
// proxy's decision log, the filters' log lines, the demo's steps).
func (p *printer) logs() io.Writer { return p.err }

// report writes a result on stdout: v as JSON or YAML, or what text writes for the text format.
func (p *printer) report(v any, text func(io.Writer) error) error {
	switch p.format {
	case "json":
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(p.out, "%s\n", b)
		return err
	case "yaml":
		b, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = p.out.Write(b)
		return err
	}
	return text(p.out)
}

// jsonShape says how Kubernetes resources are written as JSON.
type jsonShape int

const (
	// oneOrList writes one object as itself, several as a "v1" List.
	oneOrList jsonShape = iota
	// alwaysList writes a "v1" List whatever the count, so the output has one shape whatever the flags.
	alwaysList
)

// resources writes Kubernetes objects on stdout as `kubectl apply -f` takes them: YAML documents
// separated by '---', or indented JSON shaped as asked.
func (p *printer) resources(shape jsonShape, objs ...any) error {
	var (
		out []byte
		err error
	)
	switch {
	case p.format != "json":
		out, err = istiores.ToYAML(objs...)
	case shape == alwaysList:
		out, err = istiores.ToJSONList(objs...)
	default:
		out, err = istiores.ToJSON(objs...)
	}
	if err != nil {
		return err
	}
	if p.format == "json" {
		out = append(out, '\n')
	}
	_, err = p.out.Write(out)
	return err
}
