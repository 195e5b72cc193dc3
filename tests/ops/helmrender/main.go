// helmrender renders a Helm chart the way `helm template` does, for machines without the
// helm binary (it is in neither Debian nor PyPI): the same engine, rebuilt from Debian's Go
// packages. Go's text/template with Sprig v3's function map (minus env/expandenv), Helm's
// toYaml/fromYaml/toJson/include/tpl/required/fail/lookup (from helm/pkg/engine, Apache-2.0),
// missingkey=zero and "<no value>" removed, partials (_*.tpl) parsed but not rendered, and
// values coalesced as Helm does (chart defaults, then each -f file: maps merge, null deletes).
//
//	helmrender [-f values.yaml]... [-name release] [-namespace ns] [-kube-version 1.30.0] CHART
//
// Prints the manifests as `helm template` does: "---\n# Source: <chart>/templates/<file>".
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"github.com/ghodss/yaml"
)

type files []string

func (f *files) String() string     { return strings.Join(*f, ",") }
func (f *files) Set(v string) error { *f = append(*f, v); return nil }

func readYAML(path string) (map[string]interface{}, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]interface{}{}
	if err := yaml.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// coalesce puts src over dst: maps merge key by key, anything else replaces, null deletes.
func coalesce(dst, src map[string]interface{}) map[string]interface{} {
	for key, value := range src {
		if value == nil {
			delete(dst, key)
			continue
		}
		sub, isMap := value.(map[string]interface{})
		old, wasMap := dst[key].(map[string]interface{})
		if isMap && wasMap {
			dst[key] = coalesce(old, sub)
		} else {
			dst[key] = value
		}
	}
	return dst
}

func toYAML(v interface{}) string {
	data, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(data), "\n")
}

func toJSON(v interface{}) string {
	data, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(data)
}

func fromYAML(s string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func funcMap(t *template.Template) template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	f["toYaml"] = toYAML
	f["toJson"] = toJSON
	f["fromYaml"] = fromYAML
	f["include"] = func(name string, data interface{}) (string, error) {
		var buf strings.Builder
		err := t.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}
	f["tpl"] = func(text string, data interface{}) (string, error) {
		clone, err := t.Clone()
		if err != nil {
			return "", err
		}
		if clone, err = clone.New("tpl").Parse(text); err != nil {
			return "", err
		}
		var buf strings.Builder
		err = clone.Execute(&buf, data)
		return strings.ReplaceAll(buf.String(), "<no value>", ""), err
	}
	f["required"] = func(warn string, val interface{}) (interface{}, error) {
		if s, ok := val.(string); val == nil || (ok && s == "") {
			return val, errors.New(warn)
		}
		return val, nil
	}
	f["fail"] = func(msg string) (string, error) { return "", errors.New(msg) }
	f["lookup"] = func(string, string, string, string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	return f
}

func run() error {
	var valueFiles files
	flag.Var(&valueFiles, "f", "values file (repeatable, later ones win)")
	name := flag.String("name", "release-name", "release name")
	namespace := flag.String("namespace", "default", "release namespace")
	kube := flag.String("kube-version", "1.30.0", "Kubernetes version for .Capabilities")
	flag.Parse()
	if flag.NArg() != 1 {
		return errors.New("usage: helmrender [-f values.yaml]... CHART")
	}
	chartDir := flag.Arg(0)
	chart, err := readYAML(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		return err
	}
	values, err := readYAML(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		return err
	}
	for _, path := range valueFiles {
		more, err := readYAML(path)
		if err != nil {
			return err
		}
		values = coalesce(values, more)
	}
	// .Chart uses the Go field names of Helm's chart.Metadata: Name, Version, AppVersion ...
	meta := map[string]interface{}{}
	for key, value := range chart {
		meta[strings.ToUpper(key[:1])+key[1:]] = value
	}
	parts := strings.SplitN(*kube, ".", 3)
	top := map[string]interface{}{
		"Values": values,
		"Chart":  meta,
		"Release": map[string]interface{}{
			"Name": *name, "Namespace": *namespace, "Service": "Helm",
			"IsInstall": true, "IsUpgrade": false, "Revision": 1,
		},
		"Capabilities": map[string]interface{}{
			"KubeVersion": map[string]interface{}{
				"Version": "v" + *kube, "Major": parts[0], "Minor": parts[1],
			},
		},
	}
	base, _ := chart["name"].(string)
	paths, err := filepath.Glob(filepath.Join(chartDir, "templates", "*"))
	if err != nil {
		return err
	}
	sort.Strings(paths)
	t := template.New("gotpl").Option("missingkey=zero")
	t.Funcs(funcMap(t))
	var names []string
	for _, path := range paths {
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		name := base + "/templates/" + filepath.Base(path)
		if _, err := t.New(name).Parse(string(raw)); err != nil {
			return err
		}
		if !strings.HasPrefix(filepath.Base(path), "_") {
			names = append(names, name)
		}
	}
	for _, name := range names {
		top["Template"] = map[string]interface{}{"Name": name, "BasePath": base + "/templates"}
		var buf strings.Builder
		if err := t.ExecuteTemplate(&buf, name, top); err != nil {
			return err
		}
		out := strings.ReplaceAll(buf.String(), "<no value>", "")
		if strings.TrimSpace(out) == "" {
			continue
		}
		fmt.Printf("---\n# Source: %s\n%s\n", name, strings.TrimRight(out, "\n"))
	}
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}
