package client

// NewUnauthenticated returns a client of the API at baseURL that sends no token, for
// the calls that get one (`cwctl login`'s code exchange).
func NewUnauthenticated(baseURL string) (*Client, error) {
	c, err := New(baseURL, "-")
	if err != nil {
		return nil, err
	}
	c.token = ""
	return c, nil
}
