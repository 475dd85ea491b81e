// Command probe prints how gjson and pretty behave, so wasmbuild's tests can compare the Wasm build's patched
// copies with the modules as published.
package main

import (
	"fmt"

	"github.com/tidwall/gjson"
	"github.com/tidwall/pretty"
)

func main() {
	// With modifiers disabled, "@reverse" is a plain key; with them enabled it reverses the object.
	fmt.Printf("modifier-path=%s\n", gjson.Get(`{"@reverse":"a key","b":1}`, "@reverse").Raw)
	fmt.Printf("config-walk=")
	gjson.Parse(`{"allow":["a\u0062c"],"n":3}`).ForEach(func(k, v gjson.Result) bool {
		fmt.Printf("%s:%s;", k.String(), v.Raw)
		return true
	})
	fmt.Println()
	// SortKeys orders escaped keys by their decoded text: "\u007a" is "z", so "y" comes first.
	opts := *pretty.DefaultOptions
	opts.SortKeys = true
	fmt.Printf("sorted=%q\n", pretty.PrettyOptions([]byte(`{"\u007a":1,"y":2,"x\ud83d\ude00":3}`), &opts))
}
