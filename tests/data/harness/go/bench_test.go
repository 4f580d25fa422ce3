// Sample benchmarks for perfledger's go adapter test (src/adapters/go_test.cc): plain,
// sub-benchmarks with slashes, b.ReportAllocs, b.SetBytes (MB/s) and b.ReportMetric.
// Standard library only; run with
//
//	go test -bench . -benchmem -count 3 -benchtime 1000x -run '^$'
package perfledgerbench

import (
	"sort"
	"strconv"
	"strings"
	"testing"
)

var sink int

func BenchmarkSum(b *testing.B) {
	xs := make([]int, 256)
	for i := range xs {
		xs[i] = i
	}
	for i := 0; i < b.N; i++ {
		s := 0
		for _, x := range xs {
			s += x
		}
		sink = s
	}
}

func BenchmarkParse(b *testing.B) {
	for _, size := range []int{8, 512} {
		name := "small"
		if size > 8 {
			name = "large"
		}
		input := strings.Repeat("12345,", size)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(input)))
			for i := 0; i < b.N; i++ {
				fields := strings.Split(input, ",")
				n := 0
				for _, f := range fields {
					if v, err := strconv.Atoi(f); err == nil {
						n += v
					}
				}
				sink = n
			}
		})
	}
}

func BenchmarkSort(b *testing.B) {
	b.Run("ints/n=100", func(b *testing.B) {
		swaps := 0
		for i := 0; i < b.N; i++ {
			xs := make([]int, 100)
			for j := range xs {
				xs[j] = (j * 7919) % 100
			}
			sort.Slice(xs, func(p, q int) bool {
				swaps++
				return xs[p] < xs[q]
			})
		}
		b.ReportMetric(float64(swaps)/float64(b.N), "compares/op")
		b.ReportMetric(42, "widgets")
	})
}

func BenchmarkNeedsNetwork(b *testing.B) {
	b.Skip("no network in this sandbox")
}
