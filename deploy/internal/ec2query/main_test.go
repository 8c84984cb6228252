package ec2query

import (
	"testing"

	"github.com/bgc-dev/bgc/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }
