// Command template-cases records what Go's text/template (and, for cases that ask for it, sprig) actually
// does with each case of Cloak's template test tables, so that the TypeScript engine is tested against facts
// instead of guesses. It is a development tool: CI never runs it, the tables it writes are committed.
//
// Usage (GOPATH mode with Debian's golang-* packages, see README.md):
//
//	go run ./tools/template-cases [-check] test/template/cases/*.json
//
// Each file is read, every case without "handWritten" gets its "expect" replaced by Go's result, and the file
// is written back (or, with -check, differences are listed and the exit status is 1).
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"text/template"
	"unicode/utf8"

	"github.com/Masterminds/sprig"
	"sigs.k8s.io/yaml"
)

type caseFile struct {
	Description  string            `json:"description"`
	RecordedWith string            `json:"recordedWith,omitempty"`
	Cases        []json.RawMessage `json:"cases"`
}

type testCase struct {
	Name         string          `json:"name"`
	TemplateName string          `json:"templateName,omitempty"`
	Template     string          `json:"template"`
	Data         json.RawMessage `json:"data,omitempty"`
	DataYAML     *string         `json:"dataYaml,omitempty"`
	DataStrings  json.RawMessage `json:"dataStrings,omitempty"`
	DataTyped    json.RawMessage `json:"dataTyped,omitempty"`
	MissingKey   string          `json:"missingkey,omitempty"`
	Delims       []string        `json:"delims,omitempty"`
	Funcs        string          `json:"funcs,omitempty"`
	HandWritten  string          `json:"handWritten,omitempty"`
	Expect       *expectation    `json:"expect,omitempty"`
	// Cloak is where Cloak deliberately differs from Go: {"output"|"error": …, "why": …}. Kept as written.
	Cloak json.RawMessage `json:"cloak,omitempty"`
}

type expectation struct {
	Output       *string `json:"output,omitempty"`
	OutputBase64 *string `json:"outputBase64,omitempty"`
	Error        *string `json:"error,omitempty"`
	Phase        string  `json:"phase,omitempty"`
}

func main() {
	check := flag.Bool("check", false, "report differences instead of writing")
	flag.Parse()
	differences := 0
	for _, path := range flag.Args() {
		n, err := processFile(path, *check)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
			os.Exit(2)
		}
		differences += n
	}
	if *check && differences > 0 {
		os.Exit(1)
	}
}

func processFile(path string, check bool) (int, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var file caseFile
	if err := json.Unmarshal(raw, &file); err != nil {
		return 0, err
	}
	differences := 0
	seen := map[string]bool{}
	out := make([]json.RawMessage, 0, len(file.Cases))
	for _, rawCase := range file.Cases {
		var c testCase
		if err := json.Unmarshal(rawCase, &c); err != nil {
			return 0, err
		}
		if seen[c.Name] {
			return 0, fmt.Errorf("duplicate case name %q", c.Name)
		}
		seen[c.Name] = true
		if c.HandWritten == "" {
			got, err := run(c)
			if err != nil {
				return 0, fmt.Errorf("case %q: %v", c.Name, err)
			}
			if !sameExpectation(c.Expect, got) {
				differences++
				if check {
					old, _ := json.Marshal(c.Expect)
					now, _ := json.Marshal(got)
					fmt.Printf("%s: %s: table has %s, Go gives %s\n", path, c.Name, old, now)
				}
			}
			c.Expect = got
		}
		encoded, err := marshal(c)
		if err != nil {
			return 0, err
		}
		out = append(out, encoded)
	}
	if check {
		return differences, nil
	}
	file.RecordedWith = runtime.Version() + " text/template, sprig " + sprigVersion
	file.Cases = out
	encoded, err := marshalIndent(file)
	if err != nil {
		return 0, err
	}
	return differences, os.WriteFile(path, encoded, 0o644)
}

// sprigVersion is the Debian package's upstream version (golang-github-masterminds-sprig-dev).
const sprigVersion = "3.2.3"

func sameExpectation(a, b *expectation) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func marshal(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	encoder := json.NewEncoder(&buf)
	encoder.SetEscapeHTML(false)
	if err := encoder.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// marshalIndent writes one case per line, which keeps diffs of re-recorded tables readable.
func marshalIndent(file caseFile) ([]byte, error) {
	var buf bytes.Buffer
	header, err := marshal(struct {
		Description  string `json:"description"`
		RecordedWith string `json:"recordedWith"`
	}{file.Description, file.RecordedWith})
	if err != nil {
		return nil, err
	}
	buf.WriteString("{\n  \"description\": ")
	description, _ := marshal(file.Description)
	buf.Write(description)
	buf.WriteString(",\n  \"recordedWith\": ")
	recorded, _ := marshal(file.RecordedWith)
	buf.Write(recorded)
	buf.WriteString(",\n  \"cases\": [\n")
	_ = header
	for i, c := range file.Cases {
		buf.WriteString("    ")
		buf.Write(c)
		if i < len(file.Cases)-1 {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
	}
	buf.WriteString("  ]\n}\n")
	return buf.Bytes(), nil
}

func run(c testCase) (result *expectation, err error) {
	// Go's text/template re-panics runtime errors (it crashes on "{{ 1 | call }}"); record that as a fact.
	defer func() {
		if r := recover(); r != nil {
			message := fmt.Sprint(r)
			result, err = &expectation{Error: &message, Phase: "panic"}, nil
		}
	}()
	return execute(c)
}

func execute(c testCase) (*expectation, error) {
	data, err := decodeData(c)
	if err != nil {
		return nil, err
	}
	name := c.TemplateName
	if name == "" {
		name = "t"
	}
	tmpl := template.New(name)
	funcs, err := funcSet(c.Funcs)
	if err != nil {
		return nil, err
	}
	tmpl.Funcs(funcs)
	if c.MissingKey != "" {
		tmpl.Option("missingkey=" + c.MissingKey)
	}
	if len(c.Delims) == 2 {
		tmpl.Delims(c.Delims[0], c.Delims[1])
	}
	if _, err := tmpl.Parse(c.Template); err != nil {
		message := err.Error()
		return &expectation{Error: &message, Phase: "parse"}, nil
	}
	var out bytes.Buffer
	if err := tmpl.Execute(&out, data); err != nil {
		message := err.Error()
		return &expectation{Error: &message, Phase: "exec"}, nil
	}
	result := &expectation{}
	if utf8.Valid(out.Bytes()) {
		text := out.String()
		result.Output = &text
	} else {
		encoded := base64.StdEncoding.EncodeToString(out.Bytes())
		result.OutputBase64 = &encoded
	}
	return result, nil
}

func decodeData(c testCase) (any, error) {
	var data any
	switch {
	case c.Data != nil:
		// As encoding/json decodes into interface{}: numbers become float64.
		if err := json.Unmarshal(c.Data, &data); err != nil {
			return nil, err
		}
	case c.DataYAML != nil:
		// As sigs.k8s.io/yaml decodes (YAML to JSON, then encoding/json): numbers become float64.
		if err := yaml.Unmarshal([]byte(*c.DataYAML), &data); err != nil {
			return nil, err
		}
	case c.DataStrings != nil:
		// As External Secrets and Sealed Secrets pass their data: map[string]string.
		var strings map[string]string
		if err := json.Unmarshal(c.DataStrings, &strings); err != nil {
			return nil, err
		}
		data = strings
	case c.DataTyped != nil:
		var raw any
		decoder := json.NewDecoder(bytes.NewReader(c.DataTyped))
		decoder.UseNumber()
		if err := decoder.Decode(&raw); err != nil {
			return nil, err
		}
		return typed(raw)
	}
	return data, nil
}

// typed builds Go values of exact types from a small tagged JSON notation (the TypeScript test decodes the
// same notation): {"$int": 5}, {"$int64": "9223372036854775807"}, {"$uint8": 7}, {"$float64": 1.5},
// {"$bytes": "base64"}, {"$strings": ["a"]}, {"$ints": [1]}, {"$stringMap": {"k": "v"}}, {"$nil": null};
// other objects are map[string]interface{}, arrays []interface{}, JSON numbers float64.
func typed(raw any) (any, error) {
	switch v := raw.(type) {
	case json.Number:
		return v.Float64()
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			converted, err := typed(item)
			if err != nil {
				return nil, err
			}
			out[i] = converted
		}
		return out, nil
	case map[string]any:
		if len(v) == 1 {
			for tag, inner := range v {
				if strings.HasPrefix(tag, "$") {
					return typedTag(tag, inner)
				}
			}
		}
		out := make(map[string]any, len(v))
		keys := make([]string, 0, len(v))
		for key := range v {
			keys = append(keys, key)
		}
		sort.Strings(keys)
		for _, key := range keys {
			converted, err := typed(v[key])
			if err != nil {
				return nil, err
			}
			out[key] = converted
		}
		return out, nil
	default:
		return v, nil
	}
}

func typedTag(tag string, inner any) (any, error) {
	number := func() (json.Number, error) {
		switch n := inner.(type) {
		case json.Number:
			return n, nil
		case string:
			return json.Number(n), nil
		}
		return "", fmt.Errorf("%s wants a number", tag)
	}
	switch tag {
	case "$int", "$int64", "$int32", "$uint8", "$uint", "$uint64":
		n, err := number()
		if err != nil {
			return nil, err
		}
		var i int64
		var u uint64
		if strings.HasPrefix(tag, "$uint") {
			if _, err := fmt.Sscan(string(n), &u); err != nil {
				return nil, err
			}
		} else if _, err := fmt.Sscan(string(n), &i); err != nil {
			return nil, err
		}
		switch tag {
		case "$int":
			return int(i), nil
		case "$int64":
			return i, nil
		case "$int32":
			return int32(i), nil
		case "$uint8":
			return uint8(u), nil
		case "$uint":
			return uint(u), nil
		default:
			return u, nil
		}
	case "$float64":
		n, err := number()
		if err != nil {
			return nil, err
		}
		return n.Float64()
	case "$bytes":
		text, ok := inner.(string)
		if !ok {
			return nil, errors.New("$bytes wants base64 text")
		}
		return base64.StdEncoding.DecodeString(text)
	case "$strings":
		items, ok := inner.([]any)
		if !ok {
			return nil, errors.New("$strings wants an array")
		}
		out := make([]string, len(items))
		for i, item := range items {
			out[i], _ = item.(string)
		}
		return out, nil
	case "$ints":
		items, ok := inner.([]any)
		if !ok {
			return nil, errors.New("$ints wants an array")
		}
		out := make([]int, len(items))
		for i, item := range items {
			n, _ := item.(json.Number).Int64()
			out[i] = int(n)
		}
		return out, nil
	case "$stringMap":
		items, ok := inner.(map[string]any)
		if !ok {
			return nil, errors.New("$stringMap wants an object")
		}
		out := make(map[string]string, len(items))
		for key, item := range items {
			out[key], _ = item.(string)
		}
		return out, nil
	case "$nil":
		return nil, nil
	}
	return nil, fmt.Errorf("unknown tag %s", tag)
}

// funcSet returns the functions a case asks for. "none" is Go's built-ins only; "test" adds a few functions
// with typed signatures that exercise argument checking, errors and call (the TypeScript test registers the
// same ones); "sprig" is sprig's text function map without env, expandenv and getHostByName, as External
// Secrets and Sealed Secrets remove them.
func funcSet(name string) (template.FuncMap, error) {
	switch name {
	case "", "none":
		return template.FuncMap{}, nil
	case "test":
		return testFuncs(), nil
	case "sprig":
		funcs := sprig.TxtFuncMap()
		delete(funcs, "env")
		delete(funcs, "expandenv")
		delete(funcs, "getHostByName")
		return funcs, nil
	case "sprig-helm":
		// sprig plus what External Secrets and Helm add around it with the same definitions: toYaml and
		// fromYaml (sigs.k8s.io/yaml), and Helm's required (src/template/functions/sprig/yaml.ts).
		funcs := sprig.TxtFuncMap()
		delete(funcs, "env")
		delete(funcs, "expandenv")
		delete(funcs, "getHostByName")
		for name, fn := range helmFuncs() {
			funcs[name] = fn
		}
		return funcs, nil
	case "sprig-crypto":
		// sprig's crypto functions alone (src/template/functions/sprig-crypto), so that their cases do not
		// depend on the rest of sprig.
		all := sprig.TxtFuncMap()
		funcs := template.FuncMap{}
		for _, name := range sprigCryptoNames {
			funcs[name] = all[name]
		}
		return funcs, nil
	}
	return nil, fmt.Errorf("unknown function set %q", name)
}

var sprigCryptoNames = []string{
	"sha1sum", "sha256sum", "adler32sum", "bcrypt", "htpasswd", "derivePassword", "genPrivateKey",
	"buildCustomCert", "genCA", "genCAWithKey", "genSelfSignedCert", "genSelfSignedCertWithKey", "genSignedCert",
	"genSignedCertWithKey", "encryptAES", "decryptAES", "randBytes",
}

// helmFuncs are toYaml and fromYaml as External Secrets (runtime/template/v2/yaml.go) and Helm
// (pkg/engine/funcs.go) define them, and Helm's required; written here from their documented behaviour.
func helmFuncs() template.FuncMap {
	return template.FuncMap{
		"toYaml": func(v any) string {
			data, err := yaml.Marshal(v)
			if err != nil {
				return ""
			}
			return strings.TrimSuffix(string(data), "\n")
		},
		"fromYaml": func(text string) map[string]any {
			m := map[string]any{}
			if err := yaml.Unmarshal([]byte(text), &m); err != nil {
				m["Error"] = err.Error()
			}
			return m
		},
		"required": func(warn string, value any) (any, error) {
			if value == nil {
				return value, errors.New(warn)
			}
			if text, ok := value.(string); ok && text == "" {
				return value, errors.New(warn)
			}
			return value, nil
		},
	}
}

func testFuncs() template.FuncMap {
	return template.FuncMap{
		"addInts":   func(a, b int) int { return a + b },
		"addInt64":  func(a, b int64) int64 { return a + b },
		"half":      func(f float64) float64 { return f / 2 },
		"repeatStr": func(s string, n int) string { return strings.Repeat(s, n) },
		"joinAll":   func(sep string, parts ...string) string { return strings.Join(parts, sep) },
		"failWith":  func(message string) (string, error) { return "", errors.New(message) },
		"identity":  func(v any) any { return v },
		"isTrue":    func(b bool) string { return fmt.Sprint(b) },
		"strList":   func(items ...string) []string { return items },
		"anyList":   func(items ...any) []any { return items },
		"strMap":    func(k, v string) map[string]string { return map[string]string{k: v} },
		"anyMap":    func(k string, v any) map[string]any { return map[string]any{k: v} },
		"toBytes":   func(s string) []byte { return []byte(s) },
		"toInt64":   func(i int) int64 { return int64(i) },
		"toUint8":   func(i int) uint8 { return uint8(i) },
		"adder":     func(n int) func(int) int { return func(x int) int { return x + n } },
		"failer": func() func(string) (string, error) {
			return func(m string) (string, error) { return "", errors.New(m) }
		},
		"variadic": func() func(string, ...int) string { return func(s string, n ...int) string { return fmt.Sprint(s, n) } },
		"nilAny":   func() any { return nil },
		"break":    func() string { return "user break" },
		"pair":     func(cert, key string) testPair { return testPair{Cert: cert, Key: key} },
		"version":  func(text string) *testVersion { return &testVersion{major: int64(text[0] - '0'), text: text} },
	}
}

// testPair is a struct value like sprig's certificate results (exported fields, no methods).
type testPair struct {
	Cert string
	Key  string
}

// testVersion is a pointer with methods and a String method, like sprig's *semver.Version.
type testVersion struct {
	major int64
	text  string
}

func (v *testVersion) String() string { return v.text }

func (v *testVersion) Major() int64 { return v.major }

func (v *testVersion) Bump(by int) string { return fmt.Sprint(v.major+int64(by), v.text[1:]) }
