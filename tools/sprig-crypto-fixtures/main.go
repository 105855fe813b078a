// Command sprig-crypto-fixtures records certificates made by the real sprig (Debian's 3.2.3, Go 1.23) from
// fixed keys, so that test/template/sprig-crypto.test.ts can compare the structure of Cloak's certificates
// with Go's byte for byte (everything but the serial number, the validity and, for ECDSA, the signature).
// A development tool like tools/template-cases: run by hand, its output is committed.
//
//	cd tools/sprig-crypto-fixtures
//	GOPATH=/usr/share/gocode GO111MODULE=off /usr/lib/go-1.23/bin/go run . \
//	  ../../test/template/fixtures/sprig-crypto-keys.json ../../test/template/fixtures/sprig-crypto-go.json
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"text/template"

	"github.com/Masterminds/sprig"
)

type scenario struct {
	Name     string `json:"name"`
	Template string `json:"template"`
	Output   string `json:"output"`
}

// Each template prints a certificate (and its key), or a CA and a certificate it signed, separated by "|".
var scenarios = []scenario{
	{Name: "ca-rsa", Template: `{{ $c := genCAWithKey "Cloak Test CA" 365 .rsa1 }}{{ $c.Cert }}|{{ $c.Key }}`},
	{Name: "ca-ec", Template: `{{ $c := genCAWithKey "ec-ca" 30 .ec8 }}{{ $c.Cert }}|{{ $c.Key }}`},
	{Name: "ca-ec384", Template: `{{ $c := genCAWithKey "ec384-ca" 30 .ec384 }}{{ $c.Cert }}|{{ $c.Key }}`},
	{Name: "ca-ed25519", Template: `{{ $c := genCAWithKey "ed-ca" 1 .ed }}{{ $c.Cert }}|{{ $c.Key }}`},
	{Name: "ca-utf8-cn", Template: `{{ $c := genCAWithKey "*.example.com & Co" 1 .ed }}{{ $c.Cert }}|{{ $c.Key }}`},
	{Name: "self-signed-sans", Template: `{{ $c := genSelfSignedCertWithKey "example.com" .ips .dns 90 .rsa8 }}{{ $c.Cert }}|{{ $c.Key }}`},
	{Name: "self-signed-empty-cn", Template: `{{ $c := genSelfSignedCertWithKey "" .ips .dns 90 .ed }}{{ $c.Cert }}|{{ $c.Key }}`},
	{Name: "self-signed-no-sans", Template: `{{ $c := genSelfSignedCertWithKey "plain" nil nil 7 .ec1 }}{{ $c.Cert }}|{{ $c.Key }}`},
	{Name: "signed-by-rsa", Template: `{{ $ca := genCAWithKey "rsa-ca" 30 .rsa1 }}{{ $c := genSignedCertWithKey "leaf.example" .ips .dns 30 $ca .ec8 }}{{ $ca.Cert }}|{{ $ca.Key }}|{{ $c.Cert }}|{{ $c.Key }}`},
	{Name: "signed-by-ec", Template: `{{ $ca := genCAWithKey "ec-ca" 30 .ec8 }}{{ $c := genSignedCertWithKey "leaf" nil .dns 30 $ca .rsa1 }}{{ $ca.Cert }}|{{ $ca.Key }}|{{ $c.Cert }}|{{ $c.Key }}`},
	{Name: "signed-by-ed25519", Template: `{{ $ca := genCAWithKey "ed-ca" 30 .ed }}{{ $c := genSignedCertWithKey "leaf" .ips nil 30 $ca .ed }}{{ $ca.Cert }}|{{ $ca.Key }}|{{ $c.Cert }}|{{ $c.Key }}`},
	{Name: "signed-by-openssl-ca", Template: `{{ $ca := buildCustomCert (b64enc .ca) (b64enc .ec8) }}{{ $c := genSignedCertWithKey "leaf" nil nil 30 $ca .ed }}{{ $ca.Cert }}|{{ $ca.Key }}|{{ $c.Cert }}|{{ $c.Key }}`},
}

func main() {
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	data := map[string]any{}
	if err := json.Unmarshal(raw, &data); err != nil {
		panic(err)
	}
	data["ips"] = []any{"10.0.0.1", "2001:db8::1", "::ffff:192.168.1.2"}
	data["dns"] = []any{"example.com", "*.example.com", "localhost"}
	for i, s := range scenarios {
		t := template.Must(template.New(s.Name).Funcs(sprig.TxtFuncMap()).Parse(s.Template))
		var out bytes.Buffer
		if err := t.Execute(&out, data); err != nil {
			panic(fmt.Sprintf("%s: %v", s.Name, err))
		}
		scenarios[i].Output = out.String()
	}
	encoded, err := json.MarshalIndent(map[string]any{
		"description": "Certificates made by sprig 3.2.3 on Go 1.23 from the keys in sprig-crypto-keys.json (tools/sprig-crypto-fixtures).",
		"ips":         data["ips"],
		"dns":         data["dns"],
		"scenarios":   scenarios,
	}, "", "  ")
	if err != nil {
		panic(err)
	}
	if err := os.WriteFile(os.Args[2], append(encoded, '\n'), 0o644); err != nil {
		panic(err)
	}
}
