package idp_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestSignInHeadlessChromium fills the login form in headless Chromium, the
// way the portal's browser tests will: a wrong password shows #error, the
// right one lands on the relying party's callback with verified claims.
func TestSignInHeadlessChromium(t *testing.T) {
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("the sign-in browser test drives Chromium (apt-get install chromium): %v", err)
	}
	rp := newRelyingParty(t)
	startProvider(t, rp)

	life, cancelLife := context.WithTimeout(context.Background(), 2*time.Minute)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU)
	actx, cancelAlloc := chromedp.NewExecAllocator(life, opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc(); cancelLife() })

	if err := chromedp.Do(ctx,
		chromedp.Navigate(rp.srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.SendKeys(chromedp.CSS(`#username`), "alice"),
		chromedp.SendKeys(chromedp.CSS(`#password`), "wrong"),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#error`)),
	); err != nil {
		t.Fatalf("wrong password: %v", err)
	}
	// The form comes back with the username kept.
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`#password`), "alice-pw"),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
	); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`body`)))
		if err == nil && strings.Contains(body, `"email":"alice@example.test"`) && strings.Contains(body, `"team-a"`) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("relying party did not show alice's claims: %q (%v)", body, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
