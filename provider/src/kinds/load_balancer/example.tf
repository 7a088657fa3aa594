# import: arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop-dev-web/50dc6c495c0c9188
resource "oppie_load_balancer" "web" {
  name         = "shop-dev-web"
  type         = "http"
  subnet_ids   = [oppie_subnet.public_a.id, oppie_subnet.public_b.id]
  firewall_ids = [oppie_firewall.lb.id]

  listener {
    port              = 80
    protocol          = "http"
    redirect_to_https = true
  }

  listener {
    port           = 443
    protocol       = "https"
    certificate_id = var.certificate_arn
  }

  target {
    instance_ids = oppie_instance.web[*].id
    port         = 8080

    health_check {
      path             = "/healthz"
      interval_seconds = 15
    }
  }
}
