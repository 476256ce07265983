package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"gopkg.in/yaml.v3"
)

// column picks a field (dotted path) out of a JSON object for table output.
type column struct {
	title string
	path  string
}

// render prints v as JSON, YAML, or — for format "table" with columns — as a table of the list
// found at listKey ("" when v itself is the list, or when v has no such key: then v is one row).
func render(w io.Writer, format string, v any, listKey string, cols []column) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case "yaml":
		return yaml.NewEncoder(w).Encode(v)
	}
	if cols == nil {
		return render(w, "yaml", v, "", nil)
	}
	rows := v
	if m, ok := v.(map[string]any); ok && listKey != "" {
		// One endpoint can answer a list or a single object (POST /jobs/submit: a batch is
		// {"jobs":[…]}, one job is the job itself); without the key, v is the one row.
		if list, found := m[listKey]; found {
			rows = list
		}
	}
	list, ok := rows.([]any)
	if !ok {
		list = []any{rows}
	}
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	titles := make([]string, len(cols))
	for i, c := range cols {
		titles[i] = c.title
	}
	fmt.Fprintln(tw, strings.Join(titles, "\t"))
	for _, row := range list {
		cells := make([]string, len(cols))
		for i, c := range cols {
			cells[i] = cell(lookup(row, c.path))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

func lookup(v any, path string) any {
	for _, part := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[part]
	}
	return v
}

func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return "-"
	case string:
		if x == "" {
			return "-"
		}
		return x
	case float64:
		if x == float64(int64(x)) {
			return fmt.Sprint(int64(x))
		}
		return fmt.Sprintf("%.1f", x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = cell(e)
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v)
}
