package testenv_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/laneway/laneway/testenv"
)

func TestHeadersConvertToPairsAndBack(t *testing.T) {
	pairs := [][2]string{{":method", "GET"}, {"baggage", "a=1"}, {"baggage", "b=2"}}
	h := testenv.HeadersOf(pairs)
	assert.Equal(t, testenv.Headers{{Key: ":method", Value: "GET"}, {Key: "baggage", Value: "a=1"}, {Key: "baggage", Value: "b=2"}}, h)
	assert.Equal(t, pairs, h.Pairs(), "order and repeats survive the round trip")
	assert.Nil(t, testenv.HeadersOf(nil), "no pairs (an exchange without a response) stays nil")
	assert.Nil(t, testenv.Headers(nil).Pairs())
	assert.Equal(t, testenv.Headers{}, testenv.HeadersOf([][2]string{}), "an empty map stays an empty map")
}
