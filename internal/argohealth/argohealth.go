// Package argohealth runs an Argo CD resource health check (a Lua script,
// as configured under resource.customizations.health.<group>_<kind> in
// argocd-cm) against an object the way Argo CD does: the object is the
// global `obj`, only the package, base and table libraries are loaded (Argo
// CD adds a restricted os library, which these scripts do not use; string
// methods are not available), and the script returns a table with a status
// and a message. It lets the project test docs/argocd-health.lua without an
// Argo CD.
package argohealth

import (
	"context"
	"fmt"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// The health statuses Argo CD accepts from a script.
const (
	Healthy     = "Healthy"
	Progressing = "Progressing"
	Degraded    = "Degraded"
	Suspended   = "Suspended"
	Missing     = "Missing"
	Unknown     = "Unknown"
)

// Status is a script's verdict.
type Status struct {
	Status  string
	Message string
}

// Evaluate runs script with obj (an unstructured object, as from
// unstructured.Unstructured.Object) as the global obj.
func Evaluate(script string, obj map[string]any) (Status, error) {
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	l.SetContext(ctx)
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
	} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			return Status{}, fmt.Errorf("opening the Lua %s library: %w", lib.name, err)
		}
	}
	l.SetGlobal("obj", toLua(l, obj))
	if err := l.DoString(script); err != nil {
		return Status{}, fmt.Errorf("running the health script: %w", err)
	}
	ret, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		return Status{}, fmt.Errorf("the health script returned %s, not a table", l.Get(-1).Type())
	}
	st, ok := ret.RawGetString("status").(lua.LString)
	if !ok {
		return Status{}, fmt.Errorf("the health script's table has no string status")
	}
	switch string(st) {
	case Healthy, Progressing, Degraded, Suspended, Missing, Unknown:
	default:
		return Status{}, fmt.Errorf("the health script returned status %q, which Argo CD does not accept", st)
	}
	out := Status{Status: string(st)}
	switch msg := ret.RawGetString("message").(type) {
	case lua.LString:
		out.Message = string(msg)
	case *lua.LNilType:
	default:
		return Status{}, fmt.Errorf("the health script's message is a %s, not a string", msg.Type())
	}
	return out, nil
}

// toLua converts an unstructured value the way Argo CD does: maps become
// tables keyed by string, slices become arrays (1-based), numbers become
// Lua numbers.
func toLua(l *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case map[string]any:
		t := l.CreateTable(0, len(v))
		for k, item := range v {
			t.RawSetString(k, toLua(l, item))
		}
		return t
	case []any:
		t := l.CreateTable(len(v), 0)
		for _, item := range v {
			t.Append(toLua(l, item))
		}
		return t
	case string:
		return lua.LString(v)
	case bool:
		return lua.LBool(v)
	case int64:
		return lua.LNumber(v)
	case int:
		return lua.LNumber(v)
	case float64:
		return lua.LNumber(v)
	default:
		return lua.LNil
	}
}
