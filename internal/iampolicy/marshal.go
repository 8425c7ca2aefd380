package iampolicy

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// jsonDocument fixes the element order of the canonical form.
type jsonDocument struct {
	Version   string          `json:"Version,omitempty"`
	ID        string          `json:"Id,omitempty"`
	Statement []jsonStatement `json:"Statement"`
}

type jsonStatement struct {
	Sid          string                    `json:"Sid,omitempty"`
	Effect       Effect                    `json:"Effect"`
	Principal    any                       `json:"Principal,omitempty"`
	NotPrincipal any                       `json:"NotPrincipal,omitempty"`
	Action       any                       `json:"Action,omitempty"`
	NotAction    any                       `json:"NotAction,omitempty"`
	Resource     any                       `json:"Resource,omitempty"`
	NotResource  any                       `json:"NotResource,omitempty"`
	Condition    map[string]map[string]any `json:"Condition,omitempty"`
}

// MarshalJSON writes the canonical JSON form: elements in AWS's usual order,
// single values as strings, lists as arrays. It round-trips through Parse.
func (d *Document) MarshalJSON() ([]byte, error) {
	out := jsonDocument{Version: d.Version, ID: d.ID, Statement: make([]jsonStatement, len(d.Statement))}
	for i, s := range d.Statement {
		js := jsonStatement{
			Sid:          s.Sid,
			Effect:       s.Effect,
			Principal:    principalsJSON(s.Principal),
			NotPrincipal: principalsJSON(s.NotPrincipal),
			Action:       listJSON(s.Action),
			NotAction:    listJSON(s.NotAction),
			Resource:     listJSON(s.Resource),
			NotResource:  listJSON(s.NotResource),
		}
		for _, c := range s.Condition {
			if js.Condition == nil {
				js.Condition = map[string]map[string]any{}
			}
			keys := js.Condition[c.Operator]
			if keys == nil {
				keys = map[string]any{}
				js.Condition[c.Operator] = keys
			}
			// JSON cannot hold the same key twice; merging would turn an
			// AND into an OR.
			if _, dup := keys[c.Key]; dup {
				return nil, fmt.Errorf("iampolicy: statement %d has condition %s %s twice", i+1, c.Operator, c.Key)
			}
			if len(c.Values) == 1 {
				keys[c.Key] = c.Values[0]
			} else {
				keys[c.Key] = append([]string{}, c.Values...)
			}
		}
		out.Statement[i] = js
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep ARNs and conditions readable
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// listJSON writes one value as a string and several as an array; nil omits
// the element.
func listJSON(xs []string) any {
	switch len(xs) {
	case 0:
		return nil
	case 1:
		return xs[0]
	}
	return xs
}

func principalsJSON(p *Principals) any {
	if p == nil {
		return nil
	}
	if p.Wildcard && len(p.AWS)+len(p.Service)+len(p.Federated)+len(p.CanonicalUser) == 0 {
		return "*"
	}
	m := map[string]any{}
	aws := p.AWS
	if p.Wildcard {
		aws = append([]string{"*"}, aws...)
	}
	for k, v := range map[string][]string{"AWS": aws, "Service": p.Service, "Federated": p.Federated, "CanonicalUser": p.CanonicalUser} {
		if len(v) > 0 {
			m[k] = listJSON(v)
		}
	}
	return m
}
