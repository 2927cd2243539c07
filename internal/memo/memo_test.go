package memo

import "testing"

func TestBounded(t *testing.T) {
	b := Bounded[int, string]{Max: 2}
	if _, ok := b.Get(1); ok {
		t.Fatal("an empty memo remembers 1")
	}
	b.Put(1, "a")
	b.Put(2, "b")
	if v, ok := b.Get(2); !ok || v != "b" {
		t.Fatalf("Get(2) = %q, %v", v, ok)
	}
	b.Forget(2)
	if _, ok := b.Get(2); ok {
		t.Error("2 is remembered after Forget")
	}
	b.Put(2, "b")
	b.Put(3, "c") // full: starts over
	if _, ok := b.Get(1); ok {
		t.Error("a full memo kept its old entries")
	}
	if v, ok := b.Get(3); !ok || v != "c" {
		t.Errorf("Get(3) = %q, %v after starting over", v, ok)
	}
}
