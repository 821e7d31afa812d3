package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var errorLineRE = regexp.MustCompile(`^[^:]+:\d+: `)

// FuzzParse feeds arbitrary bytes to Parse: it must not panic, and every
// line of an error must read FILE:LINE: …. The seeds are the fixtures plus
// testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/*.yaml", "testdata/bad/*.yaml", "testdata/policies/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// A name under testdata/fuzz: includes the fuzzer invents resolve
		// there, and mostly to nothing.
		cfg, err := Parse("testdata/fuzz/fuzz.yaml", data)
		if err == nil {
			if cfg == nil {
				t.Fatal("nil config and nil error")
			}
			_ = cfg.Redacted()
			return
		}
		if cfg != nil {
			t.Fatal("config returned with an error")
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			if !errorLineRE.MatchString(line) {
				t.Fatalf("error line %q does not read FILE:LINE: …", line)
			}
		}
	})
}
