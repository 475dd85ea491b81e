package baggage_test

import (
	"fmt"

	"github.com/laneway/laneway/filters/baggage"
)

func ExampleLookup() {
	values := []string{"userId=alice", "laneway-tenant=%61cme;src=gw"}
	tenant, ok := baggage.Lookup(values, "laneway-tenant")
	fmt.Println(tenant, ok)
	// Output: acme true
}

func ExampleRemoveKeys() {
	// A trust boundary replaces whatever the client sent with the validated value.
	values := []string{"userId=alice,laneway-tenant=acme", "laneway-tenant=evil"}
	_, ok := baggage.Lookup(values, "laneway-tenant")
	fmt.Println("ambiguous:", !ok)
	header, _ := baggage.RemoveKeys(values, "laneway-tenant")
	header, _ = baggage.AppendMember(header, "laneway-tenant", "acme")
	fmt.Println(header)
	// Output:
	// ambiguous: true
	// userId=alice,laneway-tenant=acme
}

func ExampleParse() {
	b := baggage.Parse([]string{"a=1;p, bad member ,b=x%20y"})
	for i := range b.Len() {
		m := b.At(i)
		fmt.Printf("%s=%q props=%q\n", m.Key, m.Value, m.Properties)
	}
	fmt.Println("dropped:", b.Dropped())
	// Output:
	// a="1" props="p"
	// b="x y" props=""
	// dropped: 1
}
