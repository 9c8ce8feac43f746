// Command standin plays the two parts of Nomad that the tests need and cannot
// run here, on the real engines Nomad itself is built on:
//
//	standin job [-var name=value]... FILE
//	    What `nomad job run -var ...` makes of a job file: hashicorp/hcl/v2
//	    parses it and evaluates every expression, with the variables' declared
//	    types and validation blocks applied as Nomad's jobspec2 applies them.
//	    Prints the job as JSON (blocks as lists, labelled blocks as {label: body}).
//
//	standin template -catalogue FILE [-variables FILE] [-env name=value]... [-dotenv]
//	    What a Nomad client's template runner renders from the template on
//	    stdin: Go's text/template with stand-ins for the catalogue functions
//	    (nomadService, service, nomadVar, nomadVarExists, env) that answer
//	    from the given JSON files. With -dotenv the result is read back with
//	    hashicorp/go-envparse, as Nomad reads an env = true template, and
//	    printed as a JSON object.
//
// Runtime interpolation (${node.*}, ${attr.*}, ${meta.*}, ${NOMAD_*}) is kept as
// written, as Nomad's job parser keeps it for the client to fill in at placement.
// Not modelled: HCL functions beyond the table below, and every other template function.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/template"

	"github.com/hashicorp/go-envparse"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: standin job|template ...")
	}
	switch os.Args[1] {
	case "job":
		runJob(os.Args[2:])
	case "template":
		runTemplate(os.Args[2:])
	default:
		fail("usage: standin job|template ...")
	}
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

func pairs(values repeated) map[string]string {
	result := map[string]string{}
	for _, pair := range values {
		name, value, found := strings.Cut(pair, "=")
		if !found {
			fail("expected name=value, got %q", pair)
		}
		result[name] = value
	}
	return result
}

// --- job ---------------------------------------------------------------------

// functions: the HCL functions a job may call (a subset of Nomad's table).
var functions = map[string]function.Function{
	"can": tryfunc.CanFunc, "try": tryfunc.TryFunc,
	"regex": stdlib.RegexFunc, "regexall": stdlib.RegexAllFunc,
	"contains": stdlib.ContainsFunc, "length": stdlib.LengthFunc,
	"lower": stdlib.LowerFunc, "upper": stdlib.UpperFunc, "format": stdlib.FormatFunc,
	"join": stdlib.JoinFunc, "split": stdlib.SplitFunc, "trimsuffix": stdlib.TrimSuffixFunc,
	"concat": stdlib.ConcatFunc, "merge": stdlib.MergeFunc, "lookup": stdlib.LookupFunc,
	"max": stdlib.MaxFunc, "min": stdlib.MinFunc,
}

func check(diags hcl.Diagnostics) {
	if diags.HasErrors() {
		for _, diag := range diags {
			if diag.Severity == hcl.DiagError {
				where := ""
				if diag.Subject != nil {
					where = diag.Subject.String() + ": "
				}
				fmt.Fprintf(os.Stderr, "%s%s: %s\n", where, diag.Summary, diag.Detail)
			}
		}
		os.Exit(1)
	}
}

func runJob(args []string) {
	flags := flag.NewFlagSet("job", flag.ExitOnError)
	var vars repeated
	flags.Var(&vars, "var", "name=value, as nomad job run -var")
	flags.Parse(args)
	if flags.NArg() != 1 {
		fail("usage: standin job [-var name=value]... FILE")
	}
	file, diags := hclparse.NewParser().ParseHCLFile(flags.Arg(0))
	check(diags)
	body := file.Body.(*hclsyntax.Body)

	values := variables(body, pairs(vars))
	ctx := &hcl.EvalContext{Functions: functions, Variables: runtimeVariables(body)}
	ctx.Variables["var"] = cty.ObjectVal(values)
	ctx.Variables["local"] = locals(body, ctx)

	var job map[string]interface{}
	for _, block := range body.Blocks {
		if block.Type == "job" {
			job = map[string]interface{}{block.Labels[0]: decode(block.Body, ctx)}
		}
	}
	if job == nil {
		fail("%s: no job block", flags.Arg(0))
	}
	plainVars := map[string]interface{}{}
	for name, value := range values {
		plainVars[name] = plain(value)
	}
	out, _ := json.MarshalIndent(map[string]interface{}{"variables": plainVars, "job": job}, "", "  ")
	fmt.Println(string(out))
}

// runtimeVariables makes every reference to a value the client knows only at
// placement (node.unique.name, attr.kernel.name, meta.rack, NOMAD_ALLOC_ID)
// evaluate to its own "${...}" text, left for the client to interpolate.
func runtimeVariables(body *hclsyntax.Body) map[string]cty.Value {
	tree := map[string]interface{}{}
	hclsyntax.VisitAll(body, func(node hclsyntax.Node) hcl.Diagnostics {
		expr, ok := node.(hclsyntax.Expression)
		if !ok {
			return nil
		}
		for _, traversal := range expr.Variables() {
			root := traversal.RootName()
			if root != "node" && root != "attr" && root != "meta" && !strings.HasPrefix(root, "NOMAD_") {
				continue
			}
			names := []string{root}
			for _, step := range traversal[1:] {
				attr, ok := step.(hcl.TraverseAttr)
				if !ok {
					fail("%s: only ${a.b.c} runtime references are modelled", traversal.SourceRange())
				}
				names = append(names, attr.Name)
			}
			level := tree
			for _, name := range names[:len(names)-1] {
				next, ok := level[name].(map[string]interface{})
				if !ok {
					next = map[string]interface{}{}
					level[name] = next
				}
				level = next
			}
			level[names[len(names)-1]] = "${" + strings.Join(names, ".") + "}"
		}
		return nil
	})
	return objectOf(tree).AsValueMap()
}

func objectOf(tree map[string]interface{}) cty.Value {
	values := map[string]cty.Value{}
	for name, item := range tree {
		if text, ok := item.(string); ok {
			values[name] = cty.StringVal(text)
		} else {
			values[name] = objectOf(item.(map[string]interface{}))
		}
	}
	return cty.ObjectVal(values)
}

// variables applies defaults, then the -var values, converted to each
// variable's declared type (a -var for a primitive type is taken as a string
// and converted, anything else is parsed as an HCL expression, as Nomad does),
// then every validation block.
func variables(body *hclsyntax.Body, overrides map[string]string) map[string]cty.Value {
	values := map[string]cty.Value{}
	types := map[string]cty.Type{}
	var declared []*hclsyntax.Block
	for _, block := range body.Blocks {
		if block.Type != "variable" {
			continue
		}
		name := block.Labels[0]
		declared = append(declared, block)
		types[name] = cty.DynamicPseudoType
		if attr, ok := block.Body.Attributes["type"]; ok {
			ty, diags := typeexpr.TypeConstraint(attr.Expr)
			check(diags)
			types[name] = ty
		}
		if attr, ok := block.Body.Attributes["default"]; ok {
			value, diags := attr.Expr.Value(nil)
			check(diags)
			values[name] = convertTo(name, value, types[name])
		}
	}
	for name, raw := range overrides {
		ty, ok := types[name]
		if !ok {
			fail("-var %s=%s: no variable %q is declared", name, raw, name)
		}
		value := cty.StringVal(raw)
		if !ty.IsPrimitiveType() && ty != cty.DynamicPseudoType {
			expr, diags := hclsyntax.ParseExpression([]byte(raw), "-var "+name, hcl.InitialPos)
			check(diags)
			value, diags = expr.Value(nil)
			check(diags)
		}
		values[name] = convertTo(name, value, ty)
	}
	ctx := &hcl.EvalContext{Functions: functions, Variables: map[string]cty.Value{"var": cty.ObjectVal(values)}}
	for _, block := range declared {
		name := block.Labels[0]
		if _, ok := values[name]; !ok {
			fail("variable %q has no default and no -var value", name)
		}
		for _, rule := range block.Body.Blocks {
			if rule.Type != "validation" {
				continue
			}
			result, diags := rule.Body.Attributes["condition"].Expr.Value(ctx)
			check(diags)
			if result.False() {
				message, diags := rule.Body.Attributes["error_message"].Expr.Value(nil)
				check(diags)
				fail("invalid value for variable %q (%s): %s", name, compact(values[name]), message.AsString())
			}
		}
	}
	return values
}

func convertTo(name string, value cty.Value, ty cty.Type) cty.Value {
	converted, err := convert.Convert(value, ty)
	if err != nil {
		fail("invalid value for variable %q (%s): %s is required: %v", name, compact(value), ty.FriendlyName(), err)
	}
	return converted
}

func compact(value cty.Value) string {
	out, _ := json.Marshal(plain(value))
	return string(out)
}

// locals evaluates the locals blocks; a local may use another, in any order.
func locals(body *hclsyntax.Body, ctx *hcl.EvalContext) cty.Value {
	pending := map[string]hcl.Expression{}
	for _, block := range body.Blocks {
		if block.Type == "locals" {
			for name, attr := range block.Body.Attributes {
				pending[name] = attr.Expr
			}
		}
	}
	done := map[string]cty.Value{}
	for len(pending) > 0 {
		ctx.Variables["local"] = cty.ObjectVal(done)
		var stuck hcl.Diagnostics
		before := len(pending)
		for name, expr := range pending {
			value, diags := expr.Value(ctx)
			if diags.HasErrors() {
				stuck = diags // may only wait for a local not evaluated yet
				continue
			}
			done[name] = value
			delete(pending, name)
		}
		if len(pending) == before {
			check(stuck)
		}
	}
	return cty.ObjectVal(done)
}

func decode(body *hclsyntax.Body, ctx *hcl.EvalContext) map[string]interface{} {
	out := map[string]interface{}{}
	for name, attr := range body.Attributes {
		value, diags := attr.Expr.Value(ctx)
		check(diags)
		out[name] = plain(value)
	}
	for _, block := range body.Blocks {
		var item interface{} = decode(block.Body, ctx)
		for i := len(block.Labels) - 1; i >= 0; i-- {
			item = map[string]interface{}{block.Labels[i]: item}
		}
		list, _ := out[block.Type].([]interface{})
		out[block.Type] = append(list, item)
	}
	return out
}

// plain turns a cty value into what encoding/json writes.
func plain(value cty.Value) interface{} {
	if value.IsNull() {
		return nil
	}
	raw, err := ctyjson.Marshal(value, value.Type())
	if err != nil {
		fail("%v", err)
	}
	var out interface{}
	decoder := json.NewDecoder(bytes.NewReader(raw))
	decoder.UseNumber()
	decoder.Decode(&out)
	return out
}

// --- template ----------------------------------------------------------------

// catalogueEntry carries the fields of a Nomad (or Consul) service
// registration that templates read.
type catalogueEntry struct {
	Name    string
	Address string
	Port    int
	AllocID string
}

func runTemplate(args []string) {
	flags := flag.NewFlagSet("template", flag.ExitOnError)
	cataloguePath := flags.String("catalogue", "", "JSON {service: [{Address, Port, AllocID}]}")
	variablesPath := flags.String("variables", "", "JSON {path: {item: value}}: the Nomad Variables")
	dotenv := flags.Bool("dotenv", false, "read the result back as an env = true template")
	var envPairs repeated
	flags.Var(&envPairs, "env", "name=value of the task's environment")
	flags.Parse(args)

	catalogue := map[string][]catalogueEntry{}
	readJSON(*cataloguePath, &catalogue)
	nomadVariables := map[string]map[string]string{}
	readJSON(*variablesPath, &nomadVariables)
	taskEnv := pairs(envPairs)

	lookup := func(name string) []catalogueEntry {
		entries := catalogue[name]
		for i := range entries {
			entries[i].Name = name
		}
		return entries
	}
	funcs := template.FuncMap{
		// Nomad's built-in catalogue: every registration of the service.
		"nomadService": lookup,
		// Consul's catalogue, as the stand-in for a cluster whose checks all pass.
		"service":        lookup,
		"nomadVarExists": func(path string) bool { _, ok := nomadVariables[path]; return ok },
		"nomadVar": func(path string) (map[string]string, error) {
			items, ok := nomadVariables[path]
			if !ok {
				return nil, fmt.Errorf("nomadVar: no variable at %q", path)
			}
			return items, nil
		},
		"env": func(name string) string { return taskEnv[name] },
	}
	source, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail("%v", err)
	}
	tmpl, err := template.New("template").Funcs(funcs).Option("missingkey=error").Parse(string(source))
	if err != nil {
		fail("%v", err)
	}
	var rendered bytes.Buffer
	if err := tmpl.Execute(&rendered, nil); err != nil {
		fail("%v", err)
	}
	if !*dotenv {
		os.Stdout.Write(rendered.Bytes())
		return
	}
	parsed, err := envparse.Parse(&rendered)
	if err != nil {
		fail("env template: %v", err)
	}
	out, _ := json.Marshal(parsed) // keys sorted
	fmt.Println(string(out))
}

func readJSON(path string, into interface{}) {
	if path == "" {
		return
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		fail("%v", err)
	}
	if err := json.Unmarshal(raw, into); err != nil {
		fail("%s: %v", path, err)
	}
}
