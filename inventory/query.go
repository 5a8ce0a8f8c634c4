package inventory

import (
	"strconv"
	"strings"
)

// query builds a SELECT from fixed SQL fragments, adding only the conditions a request
// uses. Values always travel as parameters; the limit, a bounded int, is written into the
// text so that Postgres plans for it (with a parameter limit, a cached generic plan may
// sort the whole table to return one page).
type query struct {
	where []string
	args  []any
}

// arg adds a parameter and returns its placeholder.
func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// and adds a condition; cond may contain the placeholder "?" for v.
func (q *query) and(cond string, v ...any) {
	for _, x := range v {
		cond = strings.Replace(cond, "?", q.arg(x), 1)
	}
	q.where = append(q.where, cond)
}

// andEqual adds "column = value" when value is set; column is a fixed identifier.
func (q *query) andEqual(column, value string) {
	if value != "" {
		q.and(column+" = ?", value)
	}
}

// sql returns the statement: head, the conditions, then order and the limit.
func (q *query) sql(head, orderBy string, limit int) string {
	var b strings.Builder
	b.WriteString(head)
	if len(q.where) > 0 {
		b.WriteString(" WHERE ")
		b.WriteString(strings.Join(q.where, " AND "))
	}
	b.WriteString(" ORDER BY ")
	b.WriteString(orderBy)
	b.WriteString(" LIMIT ")
	b.WriteString(strconv.Itoa(limit))
	return b.String()
}
