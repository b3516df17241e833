package adopt_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/djfront/djfront/internal/local/testenv"
)

// shopFiles are the user's app, shop: a model, a form view with Django's
// CSRF protection, a view of the request as Django sees it, and the orders
// as JSON. greeting is replaced to show a reload.
var shopFiles = map[string]string{
	"shop/models.py": `from django.db import models


class Order(models.Model):
    name = models.CharField(max_length=100)
`,
	"shop/forms.py": `from django import forms

from .models import Order


class OrderForm(forms.ModelForm):
    class Meta:
        model = Order
        fields = ["name"]
`,
	"shop/views.py": `import os

from django.http import JsonResponse
from django.shortcuts import redirect, render

from .forms import OrderForm
from .models import Order

GREETING = "first version"


def whoami(request):
    return JsonResponse({
        "host": request.get_host(),
        "scheme": request.scheme,
        "secure": request.is_secure(),
        "absolute": request.build_absolute_uri(),
        "greeting": GREETING,
        "setting": os.environ.get("SHOP_SETTING", ""),
    })


def order(request):
    form = OrderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        return redirect("orders")
    return render(request, "shop/order.html", {"form": form})


def orders(request):
    return JsonResponse({"orders": list(Order.objects.order_by("id").values_list("name", flat=True))})
`,
	"shop/urls.py": `from django.urls import path

from . import views

urlpatterns = [
    path("whoami/", views.whoami),
    path("order/", views.order),
    path("orders/", views.orders, name="orders"),
]
`,
	"shop/templates/shop/order.html": `<form method="post">{% csrf_token %}{{ form }}<button>Order</button></form>
`,
}

// settingsBlock is what `djfront init` puts at the end of settings.py
// (branch a-init; written here until it lands on main): djfront's checks
// and middleware, then its settings over the project's.
const settingsBlock = `
# djfront
INSTALLED_APPS += ["djfront", "shop"]
MIDDLEWARE.insert(0, "djfront.middleware.UpstreamVerifyMiddleware")
from djfront import settings as djfront_settings  # noqa: E402

djfront_settings.apply(globals())
`

// newProject makes a Django project as a user does, in a directory of its
// own: django-admin startproject mysite, an app with a model and a form
// view and its migration, djfront's settings block, and the template.
func newProject(t *testing.T, root, venv, artifacts string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "my project")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	testenv.MustRunPython(t, filepath.Join(venv, "bin", "django-admin"), "startproject", "mysite", dir)
	python := filepath.Join(venv, "bin", "python")
	for rel, content := range shopFiles {
		write(t, filepath.Join(dir, rel), content)
	}
	write(t, filepath.Join(dir, "shop", "__init__.py"), "")
	settings := filepath.Join(dir, "mysite", "settings.py")
	b, err := os.ReadFile(settings)
	if err != nil {
		t.Fatal(err)
	}
	write(t, settings, string(b)+settingsBlock)
	urls := filepath.Join(dir, "mysite", "urls.py")
	if b, err = os.ReadFile(urls); err != nil {
		t.Fatal(err)
	}
	write(t, urls, strings.Replace(strings.Replace(string(b), "from django.urls import path", "from django.urls import include, path", 1),
		"urlpatterns = [", "urlpatterns = [\n    path(\"shop/\", include(\"shop.urls\")),", 1))
	// makemigrations reads the migration history: a throwaway database.
	testenv.MustRunPython(t, "/usr/bin/env", "-C", dir, "DJANGO_DEBUG=1", "DATABASE_URL=sqlite:///"+filepath.Join(t.TempDir(), "db.sqlite3"),
		python, "manage.py", "makemigrations", "shop")
	writeTemplate(t, filepath.Join(root, "template.yaml"), filepath.Join(dir, "template.yaml"), artifacts)
	return dir
}

// writeTemplate writes the user's template from djfront's, as `djfront
// init` will (branch a-init; until it lands, the test does it): the app
// function's code is the project (CodeUri .), its handler and command name
// mysite, and every function and the layer are the wheel's prebuilt
// artifacts (no BuildMethod).
func writeTemplate(t *testing.T, from, to, artifacts string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	resources := child(t, doc.Content[0], "Resources")
	app := child(t, child(t, resources, "AppFunction"), "Properties")
	child(t, app, "CodeUri").Value = "."
	child(t, app, "Handler").Value = "mysite.wsgi.application"
	cmd := child(t, child(t, child(t, app, "Environment"), "Variables"), "UPSTREAM_COMMAND")
	cmd.Value = strings.Replace(cmd.Value, "demo.wsgi:application", "mysite.wsgi:application", 1)
	for id, dir := range map[string]string{"HostForwardFunction": "hostforward", "InvalidateFunction": "invalidate",
		"RotateFunction": "rotate", "HostForwardLayer": "layer"} {
		res := child(t, resources, id)
		props := child(t, res, "Properties")
		uri := "CodeUri"
		if id == "HostForwardLayer" {
			uri = "ContentUri"
		}
		child(t, props, uri).Value = filepath.Join(artifacts, dir)
		for i := 0; i < len(res.Content); i += 2 {
			if res.Content[i].Value == "Metadata" {
				res.Content = append(res.Content[:i], res.Content[i+2:]...)
				break
			}
		}
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	write(t, to, string(out))
}

// child returns the value of key in the mapping node m, adding it when a
// function's properties lack it (CodeUri comes from Globals).
func child(t *testing.T, m *yaml.Node, key string) *yaml.Node {
	t.Helper()
	if m.Kind != yaml.MappingNode {
		t.Fatalf("template: %q is not in a mapping", key)
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	if key != "CodeUri" {
		t.Fatalf("template: no %q", key)
	}
	v := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str"}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
	return v
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
