package adopt_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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

// newProject makes a Django project as a user does, in a directory of its
// own whose path has a space: `python -m django startproject mysite`, an app
// with a model and a form view and its migration, then `djfront init` there,
// whose standard output and error it returns. python is an interpreter with
// Django, djfront the command to run.
func newProject(t *testing.T, python, djfront string) (dir, stdout, stderr string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "my project")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	run(t, dir, nil, python, "-m", "django", "startproject", "mysite", ".")
	for rel, content := range shopFiles {
		write(t, filepath.Join(dir, rel), content)
	}
	write(t, filepath.Join(dir, "shop", "__init__.py"), "")
	appendTo(t, filepath.Join(dir, "mysite", "settings.py"), "\nINSTALLED_APPS += [\"shop\"]\n")
	urls := filepath.Join(dir, "mysite", "urls.py")
	b, err := os.ReadFile(urls)
	if err != nil {
		t.Fatal(err)
	}
	write(t, urls, strings.Replace(strings.Replace(string(b), "from django.urls import path", "from django.urls import include, path", 1),
		"urlpatterns = [", "urlpatterns = [\n    path(\"shop/\", include(\"shop.urls\")),", 1))
	// makemigrations reads the migration history, in startproject's
	// db.sqlite3, which goes: no database of its own for djfront local.
	run(t, dir, nil, python, "manage.py", "makemigrations", "shop")
	if err := os.Remove(filepath.Join(dir, "db.sqlite3")); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	stdout, stderr, err = runCmd(dir, nil, djfront, "init")
	if err != nil {
		t.Fatalf("djfront init: %v\n%s%s", err, stdout, stderr)
	}
	t.Logf("djfront init:\n%s%s", stdout, stderr)
	return dir, stdout, stderr
}

// appendTo appends text to the file at path.
func appendTo(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString(text)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
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
