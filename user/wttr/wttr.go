package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// maxReport bounds the reply: a report is a few KiB of text.
const maxReport = 1 << 20

// reportURL is the wttr.in URL for city on server. "?T" asks for the
// report without terminal sequences (Scone's console is a plain serial
// line); an empty city is the caller's own location.
func reportURL(server, city string, color bool) string {
	u := url.URL{Scheme: "http", Host: server, Path: "/" + city}
	if !color {
		u.RawQuery = "T"
	}
	return u.String()
}

// fetch writes the report to w.
func fetch(c *http.Client, w io.Writer, server, city string, color bool) error {
	req, err := http.NewRequest("GET", reportURL(server, city, color), nil)
	if err != nil {
		return err
	}
	// wttr.in answers text to curl and HTML to browsers.
	req.Header.Set("User-Agent", "curl/8.0 (scone wttr)")
	req.Header.Set("Accept", "text/plain")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return fmt.Errorf("%s answered %s: %q", server, resp.Status, b)
	}
	n, err := io.Copy(w, io.LimitReader(resp.Body, maxReport+1))
	if err != nil {
		return fmt.Errorf("reading the report from %s: %w", server, err)
	}
	if n > maxReport {
		return fmt.Errorf("%s sent more than %d bytes: not a weather report", server, maxReport)
	}
	return nil
}
